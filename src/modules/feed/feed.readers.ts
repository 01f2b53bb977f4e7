import type { FollowerGraph } from './follower-graph.js';
import type { FollowsRepository } from './follows.repository.js';

/** What a home-timeline read needs to know of its reader, as of now. */
export interface Reader {
  id: bigint;
  /** The authors whose tweets belong in the timeline: the followed ones and the reader. */
  authors: readonly bigint[];
  /** Of those, the ones with tweets pulled at read time. */
  pulled: readonly bigint[];
  /** Whether `authorId`'s tweets belong in the timeline (followed now, or the reader's own). */
  sees(authorId: bigint): boolean;
  /** The last read recorded (epoch ms), null when never. */
  lastReadAt: number | null;
}

/** Where a read learns about its reader. */
export type Readers = (readerId: bigint) => Promise<Reader>;

/** Readers from the follower graph in memory: no SQL (the inline topology, which keeps the graph). */
export function graphReaders(graph: FollowerGraph): Readers {
  return async (readerId) => {
    const { slots } = graph;
    const slot = slots.slotOf(readerId);
    const following = graph.followingOf(slot);
    const pulled: bigint[] = graph.isPulled(slot) ? [readerId] : [];
    if (graph.pulledFollowing(slot) > 0) for (let i = 0; i < following.length; i++) if (graph.isPulled(following[i]!)) pulled.push(slots.idOf(following[i]!));
    const lastReadAt = graph.lastReadAt(slot);
    let authors: bigint[] | undefined;
    return {
      id: readerId,
      // Only a read that goes past the cache needs the list (most read from the cache alone).
      get authors() {
        authors ??= [readerId, ...Array.from(following, (f) => slots.idOf(f))];
        return authors;
      },
      pulled,
      sees: (authorId) => authorId === readerId || graph.hasSlots(slot, slots.find(authorId)),
      lastReadAt: lastReadAt === 0 ? null : lastReadAt,
    };
  };
}

/** Readers from the database (a process that does not keep the graph). */
export function sqlReaders(follows: FollowsRepository): Readers {
  return async (readerId) => {
    const [counts, following] = await Promise.all([follows.counts(readerId), follows.followingOf(readerId)]);
    const authors = new Set([readerId, ...following.map((f) => f.id)]);
    return {
      id: readerId,
      authors: [...authors],
      pulled: [...(counts.pulled ? [readerId] : []), ...following.filter((f) => f.pulled).map((f) => f.id)],
      sees: (authorId) => authors.has(authorId),
      lastReadAt: counts.lastReadAt,
    };
  };
}
