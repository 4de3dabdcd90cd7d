/**
 * `COPY (…) TO STDOUT` on a node-postgres client, its output gathered into one Buffer.
 *
 * node-postgres decodes every value of an ordinary result to a JS string (bytea as hex text, then
 * parsed again); the rows of a COPY arrive as CopyData messages, raw bytes, which is why the
 * export reads its batches this way (docs/adr/0019-audit-merkle-nodes.md, "Export"). This is a
 * node-postgres "submittable" (the interface pg-cursor and pg-copy-streams use): the client hands
 * it the protocol messages of its query. A COPY takes no bind parameters: callers build the text
 * from values they have checked (integers, ISO timestamps), never from input strings.
 */

/** The part of node-postgres's Connection a submittable uses here. */
interface PgConnection {
  query(text: string): void;
  sendCopyFail(message: string): void;
}

/** The part of node-postgres's Client used here. */
export interface PgQueryable {
  query(submittable: object): unknown;
}

class CopyOut {
  private buf: Buffer;
  private used = 0;
  private error: unknown = null;

  constructor(
    private readonly text: string,
    sizeHint: number,
    private readonly settle: (error: unknown, out: Buffer | null) => void,
  ) {
    this.buf = Buffer.allocUnsafe(Math.max(1024, sizeHint));
  }

  submit(connection: PgConnection): void {
    connection.query(this.text);
  }

  handleCopyData(msg: { chunk: Buffer }): void {
    // The chunk is a view of the driver's read buffer, reused for the next messages: copy it now.
    const chunk = msg.chunk;
    if (this.used + chunk.length > this.buf.length) {
      const grown = Buffer.allocUnsafe(Math.max(2 * this.buf.length, this.used + chunk.length));
      this.buf.copy(grown, 0, 0, this.used);
      this.buf = grown;
    }
    chunk.copy(this.buf, this.used);
    this.used += chunk.length;
  }

  handleCopyInResponse(connection: PgConnection): void {
    connection.sendCopyFail('COPY FROM is not supported here');
  }

  handleError(error: unknown): void {
    // The client sends no ReadyForQuery to a query that failed: settle now.
    this.error = error;
    this.settle(error, null);
  }

  handleReadyForQuery(): void {
    if (this.error === null) this.settle(null, this.buf.subarray(0, this.used));
  }

  // Messages a COPY TO does not send; present because the client may call them.
  handleRowDescription(): void {}
  handleDataRow(): void {}
  handleCommandComplete(): void {}
  handleEmptyQuery(): void {}
  handlePortalSuspended(): void {}
}

/** Runs `COPY (…) TO STDOUT …` and resolves with every byte of its output, in order. */
export function copyOut(client: PgQueryable, text: string, sizeHint = 1 << 16): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    client.query(
      new CopyOut(text, sizeHint, (e, out) =>
        out ? resolve(out) : reject(e instanceof Error ? e : new Error(String(e))),
      ),
    );
  });
}

/** PGCOPY\n\xff\r\n\0: the signature of the binary COPY format. */
const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');

/**
 * The offset of the first tuple of a binary COPY output (signature, flags, header extension),
 * or an Error when the header is not one.
 */
export function binaryCopyBody(out: Buffer): number {
  if (out.length < SIGNATURE.length + 8 || SIGNATURE.compare(out, 0, SIGNATURE.length) !== 0) {
    throw new Error('not a binary COPY output');
  }
  const flags = out.readInt32BE(SIGNATURE.length);
  if ((flags & (1 << 16)) !== 0) throw new Error('binary COPY with OIDs is not supported');
  const extension = out.readInt32BE(SIGNATURE.length + 4);
  return SIGNATURE.length + 8 + extension;
}
