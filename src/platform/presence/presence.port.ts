/**
 * Who is connected where, with expiry: the chat's session registry and presence store.
 *
 * A "node" is one process holding sockets (a random id per process start). Each user has, per node,
 * an expiry time; a node renews the users it holds every ttl/3 (`refresh`), so the users of a node
 * that died without a word (SIGKILL, a lost host) drop out by themselves once their ttl passes.
 * The chat's delivery asks `nodesOf(members)` after storing a message and publishes one message per
 * node that holds a member (docs/chat.md, "Scaled").
 */
export interface PresenceRegistry {
  /** Marks `userId` connected on `node` until `ttlMs` passes without a `refresh`. */
  connect(userId: string, node: string, ttlMs: number): Promise<void>;
  /** Removes one connection of `userId` on `node` (the last socket of that user there closed). */
  disconnect(userId: string, node: string): Promise<void>;
  /** Renews every connection `node` holds (called every ttl/3); lost nodes expire by themselves. */
  refresh(node: string, userIds: readonly string[], ttlMs: number): Promise<void>;
  /** The nodes each user is connected on now (users on none are absent). One round trip. */
  nodesOf(userIds: readonly string[]): Promise<Map<string, string[]>>;
  /** When each user was last connected (set when their last connection goes or expires). */
  lastSeen(userIds: readonly string[]): Promise<Map<string, Date>>;
  close(): Promise<void>;
}
