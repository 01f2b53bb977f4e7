/** Time-sortable, 64-bit, unique ids made without coordination. */
export interface IdGenerator {
  /** A new id; ids from one generator strictly increase. */
  next(): bigint;
}
