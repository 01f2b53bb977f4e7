import { afterEach, beforeEach, expect, it } from 'vitest';
import { describeEachDialect } from '../../platform/sql/testing/test-databases.js';
import { MemoryTimelineStore } from '../../platform/timelines/index.js';
import { createFeedHarness, type FeedHarness, type HarnessUser } from './testing/feed-harness.js';

/** The feed's operations for the Mastodon API that have queries of their own: public timeline, replies, likers. */
describeEachDialect('FeedActions', (dialect) => {
  let h: FeedHarness;
  let ann: HarnessUser;
  let ben: HarnessUser;
  beforeEach(async () => {
    h = await createFeedHarness({ sql: await dialect.open(), timelines: new MemoryTimelineStore({ capacity: 10 }) });
    [ann, ben] = [h.addUser('ann'), h.addUser('ben')];
  });
  afterEach(() => h.close());

  it('pages every live tweet newest first, answers replies oldest first, and who liked a tweet newest first', async () => {
    const a = { userId: ann.id, username: 'ann' };
    const b = { userId: ben.id, username: 'ben' };
    const root = await h.feed.actions.post(a, { text: 'root' });
    const r1 = await h.feed.actions.post(b, { text: 'first reply', replyTo: root.id });
    const r2 = await h.feed.actions.post(a, { text: 'second reply', replyTo: root.id });
    const gone = await h.feed.actions.post(b, { text: 'deleted reply', replyTo: root.id });
    await h.feed.actions.delete(b, gone.id);
    const newest = await h.feed.actions.post(b, { text: 'newest' });

    expect((await h.feed.actions.publicTimeline({ limit: 3 })).map((t) => t.id)).toEqual([newest.id, r2.id, r1.id]);
    expect((await h.feed.actions.publicTimeline({ limit: 3, before: r1.id })).map((t) => t.id)).toEqual([root.id]);
    expect((await h.feed.actions.replies(root.id, 10)).map((t) => t.id)).toEqual([r1.id, r2.id]);
    expect(await h.feed.actions.replies('nonsense', 10)).toEqual([]);

    await h.feed.actions.like(b, root.id);
    h.clock.advance(1_000);
    await h.feed.actions.like(a, root.id);
    expect(await h.feed.actions.likers(root.id, 10)).toEqual([ann.id, ben.id]);
    expect(await h.feed.actions.likers(root.id, 1)).toEqual([ann.id]);
    await expect(h.feed.actions.likers(gone.id, 10)).rejects.toMatchObject({ status: 404 });
  });
});
