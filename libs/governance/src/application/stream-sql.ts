/**
 * SQL over a stream id column `e.s` (`<type>-<id>`, see `domain/shared/stream-names.ts`), as
 * intake's one append statement reads `new_events AS e` (appendToNewStreams, ADR 0013): the
 * aggregate type (the part before the first `-`) and the aggregate id (`aggregateIdOf` in Node).
 */
export const AGGREGATE_TYPE_SQL = "left(e.s, strpos(e.s, '-') - 1)";
export const AGGREGATE_ID_SQL = "substr(e.s, strpos(e.s, '-') + 1)";
