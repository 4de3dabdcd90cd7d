/**
 * What of an unexpected error may reach the log: type, message, code and stack. Never the rest of
 * the object: driver errors carry the SQL parameters, which can hold raw subject ids.
 */
export function safeErrorFields(e: unknown): { error: Record<string, unknown> } {
  if (!(e instanceof Error)) return { error: { message: String(e) } };
  const code = (e as { code?: unknown }).code;
  return {
    error: {
      type: e.name,
      message: e.message,
      ...(typeof code === 'string' || typeof code === 'number' ? { code } : {}),
      stack: e.stack,
    },
  };
}
