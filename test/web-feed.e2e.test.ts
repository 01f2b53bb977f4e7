import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserSuites, SHOTS, signUpInBrowser, startWebTest, type WebTest } from './helpers/browser.js';
import { bearer, signUp } from './helpers/users.js';

/**
 * The feed pages of the web app in a real Chromium: two people in two browser contexts (two cookie
 * jars) follow, post, see each other's tweets arrive live, like, get notified and search.
 * Screenshots go to artifacts/screenshots (not committed).
 */
const WAIT = { timeout: 10_000 };
const POLL = { timeout: 10_000, interval: 50 };

describe.runIf(browserSuites)('the web app in Chromium: the feed', () => {
  let web: WebTest;
  /** The author, and the reader who follows her, each in their own browser context. */
  let ann: Page;
  let bob: Page;
  const suffix = randomBytes(4).toString('hex');
  const annName = `ann_${suffix}`;
  const bobName = `bob_${suffix}`;
  const word = `zebra${suffix}`;
  const tweetText = `Hello from the browser: a ${word} crossed the road <b>not bold</b> #blueprint`;

  /** The page's tweet whose text contains `text`. */
  const tweet = (page: Page, text: string): Locator => page.locator('article.feed-tweet', { hasText: text });
  /** Marks the document: still marked later means the page was not reloaded meanwhile. */
  const markDocument = (page: Page) => page.evaluate(() => Object.assign(globalThis, { feedTestMark: true }));
  const documentMarked = (page: Page) => page.evaluate(() => (globalThis as { feedTestMark?: boolean }).feedTestMark === true);
  /** Waits for the page's live stream to be open (the home page says it in `data-live`). */
  const streamOpen = (page: Page) => page.locator('section[data-live="open"]').waitFor(WAIT);
  /** Whether the element has the keyboard focus. */
  const focused = (locator: Locator) => locator.evaluate((el) => el === (globalThis as unknown as { document: { activeElement: unknown } }).document.activeElement);
  /** The unread count the nav's Notifications link gives (its label says it; the badge shows it). */
  const unreadOf = async (page: Page) => {
    const label = await page.getByRole('link', { name: /^Notifications/ }).getAttribute('aria-label');
    return Number(/\((\d+) unread\)/.exec(label ?? '')?.[1] ?? 0);
  };
  /** Posts `count` tweets "`prefix` 1" to "`prefix` `count`" through the API, oldest first. */
  const postMany = async (token: string, prefix: string, count: number) => {
    for (let i = 1; i <= count; i++) {
      const res = await web.app.runtime.app.inject({ method: 'POST', url: '/api/v1/tweets', headers: bearer(token), payload: { text: `${prefix} ${i}` } });
      expect(res.statusCode).toBe(201);
    }
  };
  /** "`prefix` `count`" down to "`prefix` 1": a list of them, newest first. */
  const newestFirst = (prefix: string, count: number) => Array.from({ length: count }, (_, i) => `${prefix} ${count - i}`);

  beforeAll(async () => {
    web = await startWebTest();
    ann = await web.newPage();
    bob = await web.newPage();
    await signUpInBrowser(ann, annName, '/home');
    await signUpInBrowser(bob, bobName, '/home');
  }, 120_000);

  afterAll(async () => {
    await web?.close();
  });

  it('greets a first-time user on /home with the compose box and an empty timeline; a bad tweet is refused next to the field', async () => {
    await ann.getByRole('heading', { name: 'Home' }).waitFor(WAIT);
    await ann.getByText('Your timeline is empty.').waitFor(WAIT);
    const box = ann.getByLabel("What's happening?");
    expect(await ann.getByText('280 of 280 characters left').count()).toBe(1);
    await ann.screenshot({ path: join(SHOTS, 'home-empty.png') });
    await box.fill('x'.repeat(281));
    expect(await ann.getByText('1 character over the limit of 280').count()).toBe(1);
    await ann.getByRole('button', { name: 'Post' }).click();
    await expect.poll(() => box.getAttribute('aria-invalid'), POLL).toBe('true');
    const described = (await box.getAttribute('aria-describedby'))!.split(' ')[0]!;
    expect(await ann.locator(`[id="${described}"]`).textContent()).toMatch(/at most 280 characters/);
    // Editing the text takes the stale message away.
    await box.fill('');
    await expect.poll(() => box.getAttribute('aria-invalid'), POLL).toBe(null);
    expect(await ann.locator(`[id="${described}"]`).count()).toBe(0);
  });

  it('lets one user follow another from the profile page', async () => {
    await bob.goto(`/u/${annName}`);
    await bob.getByRole('heading', { name: `@${annName}` }).waitFor(WAIT);
    const follow = bob.getByRole('button', { name: 'Follow', exact: true });
    await expect.poll(() => follow.isEnabled(), POLL).toBe(true);
    await follow.click();
    await bob.getByRole('button', { name: 'Unfollow' }).waitFor(WAIT);
    await expect.poll(() => bob.getByTestId('followers').textContent(), POLL).toBe('1');
    // After a reload the page still knows: the button reads the follow back from the server.
    await bob.reload();
    await bob.getByRole('button', { name: 'Unfollow' }).waitFor(WAIT);
    // One's own profile has no Follow button.
    await ann.goto(`/u/${annName}`);
    await ann.getByRole('heading', { name: `@${annName}` }).waitFor(WAIT);
    await ann.getByTestId('followers').waitFor(WAIT);
    expect(await ann.getByRole('button', { name: /Follow/ }).count()).toBe(0);
  });

  it("shows a tweet on a follower's open home page live, without a reload", async () => {
    await bob.goto('/home');
    await streamOpen(bob);
    await markDocument(bob);
    expect(await tweet(bob, word).count()).toBe(0);

    await ann.goto('/home');
    await ann.getByLabel("What's happening?").fill(tweetText);
    await ann.getByRole('button', { name: 'Post' }).click();
    // The author's own list has it at once, and the box is empty for the next one.
    await tweet(ann, word).waitFor(WAIT);
    expect(await ann.getByLabel("What's happening?").inputValue()).toBe('');

    const arrived = tweet(bob, word);
    await arrived.waitFor(WAIT);
    expect(await documentMarked(bob)).toBe(true);
    // Text, not HTML: the angle brackets show as typed.
    expect(await arrived.locator('.feed-text').textContent()).toBe(tweetText);
    expect(await arrived.locator('b').count()).toBe(0);
    expect(await arrived.getByRole('link', { name: `@${annName}` }).getAttribute('href')).toBe(`/u/${annName}`);
    expect(await arrived.getByRole('link', { name: '#blueprint' }).getAttribute('href')).toBe('/search?q=%23blueprint');
    expect(await arrived.locator('time').textContent()).toMatch(/now|sec/);
  });

  it('counts a like', async () => {
    const liked = tweet(bob, word);
    await liked.getByRole('button', { name: 'Like 0' }).click();
    await liked.getByRole('button', { name: 'Like 1' }).waitFor(WAIT);
    expect(await liked.getByRole('button', { name: 'Like 1' }).getAttribute('aria-pressed')).toBe('true');
    await bob.screenshot({ path: join(SHOTS, 'home.png') });
    // The author cannot delete someone else's tweet: no Delete button on it.
    expect(await liked.getByRole('button', { name: 'Delete' }).count()).toBe(0);
  });

  it("badges the author's unread notifications and lists the follow and the like", async () => {
    // Ann is on /home with the stream open: the like's notification updates her badge live.
    const badged = ann.getByRole('link', { name: 'Notifications (2 unread)' });
    await badged.waitFor(WAIT);
    expect(await badged.locator('.feed-badge').textContent()).toBe('2');
    await badged.click();
    await ann.waitForURL('**/notifications', WAIT);
    const list = ann.getByRole('list', { name: 'Notifications' });
    await list.waitFor(WAIT);
    const followed = list.getByRole('listitem').filter({ hasText: `@${bobName} followed you` });
    const liked = list.getByRole('listitem').filter({ hasText: `@${bobName} liked your tweet` });
    await followed.waitFor(WAIT);
    await liked.waitFor(WAIT);
    // Newest first: the like came after the follow.
    const texts = await list.getByRole('listitem').allTextContents();
    expect(texts.findIndex((t) => t.includes('liked your tweet'))).toBeLessThan(texts.findIndex((t) => t.includes('followed you')));
    expect(await followed.getByText('New').count()).toBe(1);
    expect(await liked.getByText('New').count()).toBe(1);
    // The liked tweet is quoted under its notification.
    await liked.getByText(word).waitFor(WAIT);
    await ann.screenshot({ path: join(SHOTS, 'notifications.png') });

    await ann.getByRole('button', { name: 'Mark all read' }).click();
    await ann.getByText('All caught up.').waitFor(WAIT);
    expect(await list.getByText('New', { exact: true }).count()).toBe(0);
    await ann.getByRole('link', { name: 'Notifications', exact: true }).waitFor(WAIT);
    expect(await ann.locator('.feed-badge').count()).toBe(0);
  });

  it('finds the tweet by a word, the word in <mark>, and people by name', async () => {
    await bob.goto('/search');
    const search = async () => {
      await bob.getByLabel('Search tweets').fill(word);
      await bob.getByRole('button', { name: 'Search', exact: true }).click();
      await bob.waitForURL(`**/search?q=${word}`, WAIT);
    };
    await search();
    // The index is fed from the outbox by a worker: it may be a moment behind the post.
    const marked = bob.getByRole('list', { name: `Tweets matching ${word}` }).locator('mark');
    await expect
      .poll(async () => {
        if ((await marked.count()) > 0) return true;
        if ((await bob.getByText(`No tweets match`).count()) > 0) await bob.reload();
        return false;
      }, POLL)
      .toBe(true);
    expect(await marked.allTextContents()).toEqual([word]);
    const found = tweet(bob, word);
    expect(await found.locator('.feed-text').textContent()).toBe(tweetText);
    // The liked state and counts come with the results.
    expect(await found.getByRole('button', { name: 'Like 1' }).getAttribute('aria-pressed')).toBe('true');
    await bob.screenshot({ path: join(SHOTS, 'search.png') });

    await bob.getByRole('link', { name: 'Users' }).click();
    await bob.getByLabel('Search users').fill('ann_');
    await bob.getByRole('button', { name: 'Search', exact: true }).click();
    const person = bob.getByRole('list', { name: 'People matching ann_' }).getByRole('link', { name: `@${annName}` });
    await person.waitFor(WAIT);
    await person.click();
    await bob.waitForURL(`**/u/${annName}`, WAIT);
  });

  it("shows a profile's numbers and tweets", async () => {
    await bob.goto(`/u/${annName}`);
    await tweet(bob, word).waitFor(WAIT);
    const numbers = bob.locator('.feed-numbers');
    await expect.poll(() => numbers.innerText(), POLL).toMatch(/^Tweets\s+1\s+Followers\s+1\s+Following\s+0$/);
    await bob.screenshot({ path: join(SHOTS, 'profile.png') });
  });

  it('takes a deleted tweet off the open home pages live', async () => {
    await bob.goto('/home');
    await streamOpen(bob);
    await markDocument(bob);
    await ann.goto('/home');
    const doomed = `A tweet to take back ${suffix}`;
    await ann.getByLabel("What's happening?").fill(doomed);
    await ann.getByRole('button', { name: 'Post' }).click();
    await tweet(bob, doomed).waitFor(WAIT);

    const own = tweet(ann, doomed);
    await own.getByRole('button', { name: 'Delete' }).click();
    await own.getByRole('button', { name: 'Yes, delete' }).click();
    await own.waitFor({ state: 'detached', ...WAIT });
    await tweet(bob, doomed).waitFor({ state: 'detached', ...WAIT });
    expect(await documentMarked(bob)).toBe(true);
    // The other tweet stays.
    expect(await tweet(bob, word).count()).toBe(1);
  });

  it('says when the live connection is lost, reconnects, and gets what was posted meanwhile', async () => {
    await bob.goto('/home');
    await streamOpen(bob);
    await markDocument(bob);
    // The network goes away: the server's connections drop, and nothing new gets through.
    await bob.context().setOffline(true);
    web.app.runtime.app.server.closeAllConnections();
    const lost = bob.getByRole('status').filter({ hasText: 'Connection lost — reconnecting…' });
    await lost.waitFor(WAIT);

    const meanwhile = `Posted while you were away ${suffix}`;
    await ann.goto('/home');
    await ann.getByLabel("What's happening?").fill(meanwhile);
    await ann.getByRole('button', { name: 'Post' }).click();
    await tweet(ann, meanwhile).waitFor(WAIT);

    await bob.context().setOffline(false);
    await lost.waitFor({ state: 'detached', timeout: 15_000 });
    await tweet(bob, meanwhile).waitFor(WAIT);
    expect(await documentMarked(bob)).toBe(true);
  });

  it("lets a reader reply under a tweet: the reply counts on it, heads the replier's timeline marked as a reply, and notifies the author", async () => {
    await ann.goto('/home');
    await streamOpen(ann);
    const unreadBefore = await unreadOf(ann);
    await bob.goto('/home');
    const parent = tweet(bob, word);
    await parent.waitFor(WAIT);
    const replyButton = parent.getByRole('button', { name: 'Reply 0' });
    expect(await replyButton.getAttribute('aria-expanded')).toBe('false');

    // The box opens under the tweet with the focus in it; Escape closes it, the focus back on Reply.
    await replyButton.click();
    const box = parent.getByLabel(`Reply to @${annName}`);
    await box.waitFor(WAIT);
    expect(await replyButton.getAttribute('aria-expanded')).toBe('true');
    await expect.poll(() => focused(box), POLL).toBe(true);
    expect(await parent.getByText('280 of 280 characters left').count()).toBe(1);
    await box.press('Escape');
    await box.waitFor({ state: 'detached', ...WAIT });
    expect(await focused(replyButton)).toBe(true);
    expect(await replyButton.getAttribute('aria-expanded')).toBe('false');

    // The main composer's rules and errors, next to the field.
    await replyButton.click();
    await box.fill('y'.repeat(281));
    expect(await parent.getByText('1 character over the limit of 280').count()).toBe(1);
    await parent.getByRole('button', { name: 'Post reply' }).click();
    await expect.poll(() => box.getAttribute('aria-invalid'), POLL).toBe('true');
    expect(await parent.locator('.field-error').textContent()).toMatch(/at most 280 characters/);

    const replyText = `Welcome to the neighbourhood ${suffix}`;
    await box.fill(replyText);
    await parent.getByRole('button', { name: 'Post reply' }).click();
    await box.waitFor({ state: 'detached', ...WAIT });
    const counted = parent.getByRole('button', { name: 'Reply 1' });
    await counted.waitFor(WAIT);
    expect(await focused(counted)).toBe(true);

    // Bob's own reply heads his timeline, saying whom it answers (the answered tweet is on the page).
    const first = bob.getByRole('list', { name: 'Home timeline' }).getByRole('listitem').first();
    await expect.poll(() => first.locator('.feed-text').textContent(), POLL).toBe(replyText);
    expect(await first.locator('.feed-reply-to').textContent()).toBe(`↳ in reply to @${annName}`);
    expect(await first.getByRole('link', { name: `@${annName}` }).getAttribute('href')).toBe(`/u/${annName}`);
    expect(await tweet(bob, replyText).count()).toBe(1);
    // The tweet answered is not a reply itself.
    expect(await parent.locator('.feed-reply-to').count()).toBe(0);

    // Ann's badge rises live, and the notification says it is a reply.
    await expect.poll(() => unreadOf(ann), POLL).toBe(unreadBefore + 1);
    await counted.click();
    await box.fill('And another thing…');
    await bob.screenshot({ path: join(SHOTS, 'reply.png') });
    await box.press('Escape');
    await ann.getByRole('link', { name: /^Notifications/ }).click();
    const list = ann.getByRole('list', { name: 'Notifications' });
    await list.getByRole('listitem').filter({ hasText: `@${bobName} replied to your tweet` }).waitFor(WAIT);
  });

  it('loads the next page of the home timeline as its end scrolls into view, without "Load more"', async () => {
    const daveName = `dave_${suffix}`;
    const dave = await signUp(web.app, daveName);
    await postMany(dave.token, 'Dave says', 23);
    // One's own tweets reach one's timeline through the fan-out: wait for all of them.
    await expect
      .poll(async () => {
        const res = await web.app.runtime.app.inject({ method: 'GET', url: '/api/v1/timeline/home?limit=100', headers: bearer(dave.token) });
        return (res.json() as { items: unknown[] }).items.length;
      }, POLL)
      .toBe(23);

    const page = await web.newPage();
    const nextPages: string[] = [];
    page.on('request', (request) => {
      if (request.url().includes('/api/v1/timeline/home?cursor=')) nextPages.push(request.url());
    });
    await page.goto('/login?next=/home');
    await page.getByLabel('Username or email').fill(daveName);
    await page.getByLabel('Password').fill('correct horse battery staple');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.waitForURL('**/home', WAIT);
    const list = page.getByRole('list', { name: 'Home timeline' });
    await list.getByText('Dave says 23', { exact: true }).waitFor(WAIT);
    expect(await list.getByRole('listitem').count()).toBe(20);
    expect(nextPages).toEqual([]);

    // Scrolling down to the last tweet brings the rest, announced to screen readers.
    await list.getByRole('listitem').last().scrollIntoViewIfNeeded(WAIT);
    await expect.poll(() => list.getByRole('listitem').count(), POLL).toBe(23);
    expect(await list.locator('.feed-text').allTextContents()).toEqual(newestFirst('Dave says', 23));
    await page.getByRole('status').filter({ hasText: '3 more tweets loaded, that is all.' }).waitFor(WAIT);
    expect(await page.getByRole('button', { name: 'Load more' }).count()).toBe(0);
    // One request for the next page, and none past the last one however far one scrolls.
    await page.mouse.wheel(0, 5_000);
    await page.waitForTimeout(300);
    expect(nextPages).toHaveLength(1);
    await page.context().close();
  });

  it('pages a long list with "Load more" where the browser has no IntersectionObserver', async () => {
    const carolName = `carol_${suffix}`;
    const carol = await signUp(web.app, carolName);
    await postMany(carol.token, 'Number', 23);
    // A signed-out reader, in a browser without IntersectionObserver: the button is the way on.
    const reader = await web.newPage();
    await reader.addInitScript(() => delete (globalThis as { IntersectionObserver?: unknown }).IntersectionObserver);
    await reader.goto(`/u/${carolName}`);
    const list = reader.getByRole('list', { name: `Tweets by @${carolName}` });
    await list.getByText('Number 23', { exact: true }).waitFor(WAIT);
    expect(await list.getByRole('listitem').count()).toBe(20);
    // Signed out: the counts, and no Reply button.
    expect(await list.getByRole('button', { name: /Reply/ }).count()).toBe(0);
    expect(await list.getByText('0 replies').count()).toBe(20);
    await list.getByRole('listitem').last().scrollIntoViewIfNeeded(WAIT);
    await reader.waitForTimeout(300);
    expect(await list.getByRole('listitem').count()).toBe(20);
    await reader.getByRole('button', { name: 'Load more' }).click();
    await list.getByText('Number 1', { exact: true }).waitFor(WAIT);
    expect(await list.getByRole('listitem').count()).toBe(23);
    // Newest first, nothing twice, and no more button at the end.
    expect(await list.locator('.feed-text').allTextContents()).toEqual(newestFirst('Number', 23));
    await reader.getByText('Loading…').waitFor({ state: 'detached', ...WAIT });
    expect(await reader.getByRole('button', { name: 'Load more' }).count()).toBe(0);
    await reader.context().close();
  });

  it('fits a phone-sized screen', async () => {
    const phone = await web.newPage({ width: 375, height: 667, mobile: true });
    await phone.goto('/login?next=/home');
    await phone.getByLabel('Username or email').fill(bobName);
    await phone.getByLabel('Password').fill('correct horse battery staple');
    await phone.getByRole('button', { name: 'Sign in' }).click();
    await phone.waitForURL('**/home', WAIT);
    await tweet(phone, word).waitFor(WAIT);
    const overflow = await phone.evaluate(() => {
      const page = globalThis as unknown as { innerWidth: number; document: { documentElement: { scrollWidth: number } } };
      return page.document.documentElement.scrollWidth - page.innerWidth;
    });
    expect(overflow).toBeLessThanOrEqual(0);
    await phone.screenshot({ path: join(SHOTS, 'home-phone.png') });
    await phone.context().close();
  });
});
