import { UserSlots } from '../../platform/timelines/index.js';

const EMPTY = new Int32Array(0);
const FIRST_ALLOCATION = 4;

/**
 * Who follows whom, in memory, in the shape fan-out wants: per user (by UserSlots slot) an
 * Int32Array of follower slots, so that delivering a tweet is a tight loop over an array (no SQL,
 * no BigInt per follower); and a sorted Int32Array of followee slots, so that "does this reader
 * follow that author?" is a binary search. Beside it, per user, what fan-out and reads decide by:
 * the last home-timeline read and whether the user has tweets pulled at read time.
 *
 * It is a copy of the `follows` and `feed_users` tables, loaded at start and kept in step by the
 * code that commits changes to them (a process that does not write them keeps it in step from the
 * feed's events instead). 200 follows cost 1.6 kB (both directions).
 */
export class FollowerGraph {
  readonly slots: UserSlots;
  #followers: Int32Array[] = [];
  #followerCount = new Int32Array(0);
  #following: Int32Array[] = [];
  #followingCount = new Int32Array(0);
  #lastReadAt = new Float64Array(0);
  #pulled = new Uint8Array(0);
  /** Per user: how many of the users they follow are pulled (reads skip the pull when none is). */
  #pulledFollowing = new Int32Array(0);
  #follows = 0;

  constructor(slots: UserSlots = new UserSlots()) {
    this.slots = slots;
  }

  /** Follows held. */
  get size(): number {
    return this.#follows;
  }

  /** Adds a follow; false when it was there. Cheapest when follows come in (follower, followee) order. */
  add(followerId: bigint, followeeId: bigint): boolean {
    const follower = this.#slot(followerId);
    const followee = this.#slot(followeeId);
    const n = this.#followingCount[follower]!;
    let list = this.#following[follower] ?? EMPTY;
    const at = n > 0 && list[n - 1]! < followee ? n : lowerBound(list, n, followee);
    if (at < n && list[at] === followee) return false;
    if (n === list.length) this.#following[follower] = list = grow(list);
    list.copyWithin(at + 1, at, n);
    list[at] = followee;
    this.#followingCount[follower] = n + 1;
    if (this.#pulled[followee] === 1) this.#pulledFollowing[follower]!++;

    const m = this.#followerCount[followee]!;
    let followers = this.#followers[followee] ?? EMPTY;
    if (m === followers.length) this.#followers[followee] = followers = grow(followers);
    followers[m] = follower;
    this.#followerCount[followee] = m + 1;
    this.#follows++;
    return true;
  }

  /** Removes a follow; false when there was none. */
  remove(followerId: bigint, followeeId: bigint): boolean {
    const follower = this.slots.find(followerId);
    const followee = this.slots.find(followeeId);
    if (follower < 0 || followee < 0) return false;
    const n = this.#followingCount[follower]!;
    const list = this.#following[follower]!;
    const at = lowerBound(list, n, followee);
    if (at === n || list[at] !== followee) return false;
    list.copyWithin(at, at + 1, n);
    this.#followingCount[follower] = n - 1;
    if (this.#pulled[followee] === 1) this.#pulledFollowing[follower]!--;
    // Followers are unordered: the last takes the removed one's place.
    const m = this.#followerCount[followee]! - 1;
    const followers = this.#followers[followee]!;
    const i = followers.subarray(0, m + 1).lastIndexOf(follower);
    followers[i] = followers[m]!;
    this.#followerCount[followee] = m;
    this.#follows--;
    return true;
  }

  /** Whether `followerId` follows `followeeId`. */
  has(followerId: bigint, followeeId: bigint): boolean {
    const follower = this.slots.find(followerId);
    const followee = this.slots.find(followeeId);
    return follower >= 0 && followee >= 0 && this.hasSlots(follower, followee);
  }

  /** `has`, by slots. */
  hasSlots(follower: number, followee: number): boolean {
    const n = this.#followingCount[follower] ?? 0;
    if (n === 0) return false;
    const list = this.#following[follower]!;
    const at = lowerBound(list, n, followee);
    return at < n && list[at] === followee;
  }

  /** The slots of a user's followers, in no order: a view valid until the next change to the graph. */
  followersOf(userSlot: number): Int32Array {
    const n = this.#followerCount[userSlot] ?? 0;
    return n === 0 ? EMPTY : this.#followers[userSlot]!.subarray(0, n);
  }

  /** The slots a user follows, ascending: a view valid until the next change to the graph. */
  followingOf(userSlot: number): Int32Array {
    const n = this.#followingCount[userSlot] ?? 0;
    return n === 0 ? EMPTY : this.#following[userSlot]!.subarray(0, n);
  }

  /** How many follow this user. */
  followerCount(userId: bigint): number {
    const slot = this.slots.find(userId);
    return slot < 0 ? 0 : this.#followerCount[slot]!;
  }

  /** Epoch ms of the user's last home-timeline read as recorded (0: never). */
  lastReadAt(userSlot: number): number {
    return this.#lastReadAt[userSlot] ?? 0;
  }

  /** The per-slot read times, for a fan-out loop; replaced when the graph grows (read it per fan-out). */
  get lastReadTimes(): Float64Array {
    return this.#lastReadAt;
  }

  /** Records a home-timeline read (kept if later than the one held). */
  markRead(userId: bigint, at: number): void {
    const slot = this.#slot(userId);
    if (at > this.#lastReadAt[slot]!) this.#lastReadAt[slot] = at;
  }

  /** Whether the user has tweets that home timelines pull at read time. */
  isPulled(userSlot: number): boolean {
    return this.#pulled[userSlot] === 1;
  }

  /** Marks the user as pulled at read time (sticky, as `feed_users.pulled`). */
  setPulled(userId: bigint): void {
    const slot = this.#slot(userId);
    if (this.#pulled[slot] === 1) return;
    this.#pulled[slot] = 1;
    const followers = this.followersOf(slot);
    for (let i = 0; i < followers.length; i++) this.#pulledFollowing[followers[i]!]!++;
  }

  /** How many of the users this one follows are pulled at read time. */
  pulledFollowing(userSlot: number): number {
    return this.#pulledFollowing[userSlot] ?? 0;
  }

  /** Frees the growth slack of every list (after a bulk load). */
  trim(): void {
    const fit = (lists: Int32Array[], counts: Int32Array) => {
      for (let s = 0; s < lists.length; s++) {
        const list = lists[s];
        if (list !== undefined && list.length > counts[s]!) lists[s] = list.slice(0, counts[s]!);
      }
    };
    fit(this.#followers, this.#followerCount);
    fit(this.#following, this.#followingCount);
  }

  /** A user's slot, assigned on first sight, with room in the per-slot arrays. */
  #slot(userId: bigint): number {
    const slot = this.slots.slotOf(userId);
    if (slot >= this.#followerCount.length) {
      const size = Math.max(1024, this.slots.size * 2);
      this.#followerCount = resized(this.#followerCount, size);
      this.#followingCount = resized(this.#followingCount, size);
      this.#lastReadAt = resized(this.#lastReadAt, size);
      this.#pulled = resized(this.#pulled, size);
      this.#pulledFollowing = resized(this.#pulledFollowing, size);
    }
    return slot;
  }
}

/** The index of the first element of `list[0..n)` not below `value` (the list is ascending). */
function lowerBound(list: Int32Array, n: number, value: number): number {
  let lo = 0;
  let hi = n;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (list[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function grow(list: Int32Array): Int32Array {
  const bigger = new Int32Array(Math.max(FIRST_ALLOCATION, list.length * 2));
  bigger.set(list);
  return bigger;
}

function resized<T extends Int32Array | Float64Array | Uint8Array>(array: T, size: number): T {
  const bigger = new (array.constructor as new (n: number) => T)(size);
  bigger.set(array);
  return bigger;
}
