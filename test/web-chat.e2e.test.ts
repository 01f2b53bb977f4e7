import { randomBytes } from 'node:crypto';
import { join } from 'node:path';
import type { Locator, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { browserSuites, SHOTS, signUpInBrowser, startWebTest, type WebTest } from './helpers/browser.js';
import { bearer, signUp } from './helpers/users.js';

/**
 * The chat page of the web app in a real Chromium: two people in two browser contexts (two cookie
 * jars, two sockets) talk in a direct conversation — live delivery with an unread count, read
 * receipts, typing, edits and deletions reaching the other browser, history paged in as the top
 * scrolls into view, and a dropped socket that resumes with nothing lost or doubled. Every wait is
 * on something the page shows; generous timeouts keep it true on a loaded machine.
 * Screenshots go to artifacts/screenshots (not committed).
 */
const WAIT = { timeout: 20_000 };
const POLL = { timeout: 20_000, interval: 50 };
/** Per test: several waits of two browsers each, on a machine that may be busy. */
const TEST_MS = 120_000;

describe.runIf(browserSuites)('the web app in Chromium: chat', () => {
  let web: WebTest;
  /** Ann starts the conversation; Bob answers. Each in a browser context of their own. */
  let ann: Page;
  let bob: Page;
  let conversationId = '';
  /** Carol uses the API only: no browser, no socket. */
  let carol: { token: string; userId: string };
  const suffix = randomBytes(4).toString('hex');
  const annName = `ann_${suffix}`;
  const bobName = `bob_${suffix}`;
  const carolName = `carol_${suffix}`;
  const hello = `Hello Bob <b>not bold</b> ${suffix}`;
  const reply = `Hi Ann, good to hear from you ${suffix}`;

  /** The message (acknowledged: it has its seq) whose text is `text`, in the open conversation. */
  const message = (page: Page, text: string): Locator => page.getByRole('log').locator('li.chat-msg[data-seq]').filter({ has: page.locator('.chat-text').getByText(text, { exact: true }) });
  /** The conversation's entry in the list (its accessible name is the other person's, then the unread count). */
  const entry = (page: Page, name: string): Locator => page.getByRole('list', { name: 'Conversation list' }).getByRole('link', { name: new RegExp(`^${name}( \\(\\d+ unread\\))?$`) });
  /** The page's chat socket is open (the page says it in `data-socket`). */
  const socketOpen = (page: Page) => page.locator('section[data-socket="open"]').waitFor(WAIT);
  const markDocument = (page: Page) => page.evaluate(() => Object.assign(globalThis, { chatTestMark: true }));
  const documentMarked = (page: Page) => page.evaluate(() => (globalThis as { chatTestMark?: boolean }).chatTestMark === true);
  /** Types into the send box and presses Enter. */
  const send = async (page: Page, text: string) => {
    const box = page.getByLabel('Message', { exact: true });
    await box.fill(text);
    await box.press('Enter');
    await expect.poll(() => box.inputValue(), POLL).toBe('');
  };
  /** What the open conversation's header says of the other person's presence. */
  const presence = (page: Page) => page.getByTestId('presence');
  /** Drops every chat socket on the server's side (a network fault as the server sees it). */
  const socketServer = () => (web.app.runtime.app as unknown as { websocketServer: { clients: Set<{ terminate(): void }> } }).websocketServer;
  const dropSockets = () => {
    for (const client of socketServer().clients) client.terminate();
  };

  beforeAll(async () => {
    web = await startWebTest({ CHAT_SEND_RATE_LIMIT: 'off' });
    ann = await web.newPage();
    bob = await web.newPage();
    carol = await signUp(web.app, carolName);
    await signUpInBrowser(ann, annName, '/chat');
    await signUpInBrowser(bob, bobName, '/chat');
  }, 120_000);

  afterAll(async () => {
    await web?.close();
  }, TEST_MS);

  it('starts a direct conversation; the message reaches the other browser live, with an unread count', async () => {
    await socketOpen(bob);
    await bob.getByText('No conversations yet').waitFor(WAIT);
    await markDocument(bob);

    await socketOpen(ann);
    await ann.getByRole('button', { name: 'New conversation' }).click();
    // An unknown user is refused next to the form, and nothing is created.
    await ann.getByLabel('Username').fill(`nobody_${suffix}`);
    await ann.getByRole('button', { name: 'Start' }).click();
    await ann.getByRole('alert').waitFor(WAIT);
    await ann.getByLabel('Username').fill(bobName);
    await ann.getByRole('button', { name: 'Start' }).click();
    await ann.waitForURL(/\/chat\/\d+$/, WAIT);
    conversationId = ann.url().split('/').pop()!;
    await ann.getByRole('heading', { level: 2, name: bobName }).waitFor(WAIT);
    await ann.getByText('The beginning of the conversation.').waitFor(WAIT);

    await send(ann, hello);
    const sent = message(ann, hello);
    await sent.waitFor(WAIT);
    // Text, not HTML.
    expect(await sent.locator('.chat-text').textContent()).toBe(hello);
    expect(await sent.locator('b').count()).toBe(0);

    // Bob's list gets the conversation live (no reload), unread, with the message as its preview.
    const unread = bob.getByRole('link', { name: `${annName} (1 unread)` });
    await unread.waitFor(WAIT);
    expect(await unread.locator('.chat-unread').textContent()).toBe('1');
    expect(await unread.locator('.chat-item-preview').textContent()).toBe(hello);
    expect(await documentMarked(bob)).toBe(true);
    // Bob's socket has it: Ann sees ✓ delivered (not read: Bob has not opened it).
    await sent.locator('[data-receipt="delivered"]').waitFor(WAIT);
    await bob.screenshot({ path: join(SHOTS, 'chat-unread.png') });
  }, TEST_MS);

  it('reads the conversation when it is opened: the count goes and the sender sees ✓✓', async () => {
    await entry(bob, annName).click();
    await bob.waitForURL(`**/chat/${conversationId}`, WAIT);
    await message(bob, hello).waitFor(WAIT);
    await bob.getByRole('link', { name: annName, exact: true }).waitFor(WAIT);
    expect(await bob.locator('.chat-unread').count()).toBe(0);
    const receipt = message(ann, hello).locator('[data-receipt="read"]');
    await receipt.waitFor(WAIT);
    expect(await receipt.textContent()).toBe('✓✓Read');
    // Only one's own messages carry receipts and actions.
    expect(await message(bob, hello).locator('[data-receipt]').count()).toBe(0);
    expect(await message(bob, hello).getByRole('button', { name: 'Edit' }).count()).toBe(0);
  }, TEST_MS);

  it('shows the other one typing, then the reply, live', async () => {
    const typing = ann.getByText(`${bobName} is typing…`);
    expect(await typing.count()).toBe(0);
    await bob.getByLabel('Message', { exact: true }).pressSequentially('Hi Ann', { delay: 20 });
    await typing.waitFor(WAIT);
    await ann.screenshot({ path: join(SHOTS, 'chat-typing.png') });
    await bob.getByLabel('Message', { exact: true }).fill(reply);
    await bob.getByLabel('Message', { exact: true }).press('Enter');
    await message(ann, reply).waitFor(WAIT);
    // The reply ends the typing, and Ann, who has the conversation open, reads it.
    await typing.waitFor({ state: 'detached', ...WAIT });
    await message(bob, reply).locator('[data-receipt="read"]').waitFor(WAIT);
    // Both see the same order.
    for (const page of [ann, bob]) {
      const texts = await page.getByRole('log').locator('li.chat-msg .chat-text').allTextContents();
      expect(texts).toEqual([hello, reply]);
    }
    expect(await ann.locator('.chat-unread').count()).toBe(0);
  }, TEST_MS);

  it('takes an edit and a delete to the other browser', async () => {
    const edited = `Hello Bob, edited ${suffix}`;
    // By its seq: while it is edited its text is in the editor.
    const own = ann.locator(`li.chat-msg[data-seq="${await message(ann, hello).getAttribute('data-seq')}"]`);
    await own.getByRole('button', { name: 'Edit' }).click();
    const editor = own.getByLabel('Edit message');
    await expect.poll(() => editor.inputValue(), POLL).toBe(hello);
    await editor.fill(edited);
    await editor.press('Enter');
    await message(ann, edited).locator('.chat-edited').waitFor(WAIT);
    const seen = message(bob, edited);
    await seen.waitFor(WAIT);
    expect(await seen.locator('.chat-edited').textContent()).toBe('edited');
    expect(await message(bob, hello).count()).toBe(0);

    const mine = message(ann, edited);
    await mine.getByRole('button', { name: 'Delete' }).click();
    await mine.getByRole('button', { name: 'Yes, delete' }).click();
    const tombstone = (page: Page) => page.getByRole('log').locator('li.chat-msg', { hasText: 'message deleted' });
    await tombstone(ann).waitFor(WAIT);
    await tombstone(bob).waitFor(WAIT);
    expect(await bob.getByText(edited).count()).toBe(0);
    // The tombstone keeps its place: still before the reply, on both sides.
    for (const page of [ann, bob]) {
      const texts = await page.getByRole('log').locator('li.chat-msg .chat-text').allTextContents();
      expect(texts).toEqual(['message deleted', reply]);
    }
    expect(await tombstone(ann).getByRole('button').count()).toBe(0);
    await bob.screenshot({ path: join(SHOTS, 'chat.png') });
  }, TEST_MS);

  it('starts a group: members see it live with the author of each message, and ✓✓ waits for the slowest reader', async () => {
    const title = `Weekend plans ${suffix}`;
    await ann.getByRole('button', { name: 'New conversation' }).click();
    await ann.getByLabel('Group', { exact: true }).check();
    await ann.getByLabel('Title').fill(title);
    await ann.getByLabel('Members (usernames, separated by commas)').fill(`${bobName}, @${carolName}`);
    await ann.getByRole('button', { name: 'Start' }).click();
    await ann.getByRole('heading', { level: 2, name: title }).waitFor(WAIT);
    await ann.getByText(/^3 members/).waitFor(WAIT);
    const id = ann.url().split('/').pop()!;
    const text = `Who brings the tent? ${suffix}`;
    await send(ann, text);
    await message(ann, text).waitFor(WAIT);

    await bob.getByRole('link', { name: `${title} (1 unread)` }).click();
    const seen = message(bob, text);
    await seen.waitFor(WAIT);
    expect(await seen.locator('.chat-author').textContent()).toBe(annName);
    // Bob has read it, Carol (no socket) has not even received it: one tick, not two.
    const receipt = message(ann, text).locator('[data-receipt]');
    await expect.poll(() => receipt.getAttribute('title'), POLL).toBe('Sent, read by 1 of 2');
    expect(await receipt.getAttribute('data-receipt')).toBe('sent');
    const read = await web.app.runtime.app.inject({ method: 'POST', url: `/api/v1/conversations/${id}/read`, headers: bearer(carol.token), payload: { seq: Number(await message(ann, text).getAttribute('data-seq')) } });
    expect(read.statusCode).toBe(200);
    await expect.poll(() => receipt.getAttribute('data-receipt'), POLL).toBe('read');
  }, TEST_MS);

  it('loads older history as the top of the conversation scrolls into view, keeping the place', async () => {
    // Carol wrote 70 messages before Ann looked: more than one page (50).
    const created = await web.app.runtime.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: bearer(carol.token), payload: { kind: 'direct', with: annName } });
    expect(created.statusCode).toBe(201);
    const id = (created.json() as { id: string }).id;
    for (let i = 1; i <= 70; i++) {
      const res = await web.app.runtime.app.inject({ method: 'POST', url: `/api/v1/conversations/${id}/messages`, headers: bearer(carol.token), payload: { text: `History ${i}`, clientId: `seed-${i}` } });
      expect(res.statusCode).toBe(201);
    }

    const older: string[] = [];
    ann.on('request', (request) => {
      if (request.url().includes(`/conversations/${id}/messages?before=`)) older.push(request.url());
    });
    await entry(ann, carolName).click();
    await ann.waitForURL(`**/chat/${id}`, WAIT);
    const log = ann.getByRole('log');
    await message(ann, 'History 70').waitFor(WAIT);
    // The latest page, scrolled to its end.
    expect(await log.locator('li.chat-msg').count()).toBe(50);
    expect(await message(ann, 'History 21').count()).toBe(1);
    expect(await log.getByText('History 20', { exact: true }).count()).toBe(0);
    await expect.poll(() => log.evaluate((el) => el.scrollHeight - el.scrollTop - el.clientHeight), POLL).toBeLessThan(50);
    expect(older).toEqual([]);

    // Scrolling to the top brings the page before, once; History 21 stays where it was on screen.
    // The page is held back until History 21's place is measured.
    let release = () => {};
    const held = new Promise<void>((resolve) => (release = resolve));
    await ann.route(`**/conversations/${id}/messages?before=*`, async (route) => {
      await held;
      await route.continue();
    });
    const anchor = message(ann, 'History 21');
    await log.evaluate((el) => el.scrollTo(0, 0));
    await log.getByText('Loading older messages…').waitFor(WAIT);
    const before = (await anchor.boundingBox())!.y;
    release();
    await message(ann, 'History 1').waitFor({ state: 'attached', ...WAIT });
    await ann.unroute(`**/conversations/${id}/messages?before=*`);
    await expect.poll(() => log.locator('li.chat-msg').count(), POLL).toBe(70);
    expect(Math.abs((await anchor.boundingBox())!.y - before)).toBeLessThan(60);
    const texts = await log.locator('li.chat-msg .chat-text').allTextContents();
    expect(texts).toEqual(Array.from({ length: 70 }, (_, i) => `History ${i + 1}`));
    await log.getByText('The beginning of the conversation.').waitFor(WAIT);
    expect(older).toHaveLength(1);
    await log.evaluate((el) => el.scrollTo(0, 0));
    await ann.waitForTimeout(300);
    expect(older).toHaveLength(1);
  }, TEST_MS);

  it('says when the socket drops, keeps a message sent meanwhile pending, and resumes with nothing lost or doubled', async () => {
    await ann.goto(`/chat/${conversationId}`);
    await bob.goto(`/chat/${conversationId}`);
    await socketOpen(ann);
    await socketOpen(bob);
    await message(bob, reply).waitFor(WAIT);
    await markDocument(bob);
    // Both connected: each sees the other online.
    await expect.poll(() => presence(ann).textContent(), POLL).toBe('online');
    await expect.poll(() => presence(bob).textContent(), POLL).toBe('online');

    // Ann's network goes: her message waits, shown as sending.
    await ann.context().setOffline(true);
    dropSockets();
    const lost = ann.getByRole('status').filter({ hasText: 'Connection lost — reconnecting…' });
    await lost.waitFor(WAIT);
    const offline = `Sent from a train ${suffix}`;
    await send(ann, offline);
    await ann.getByRole('log').locator('li.chat-pending', { hasText: offline }).getByText('Sending…').waitFor(WAIT);

    // Bob's network goes too (once his socket is back from the first drop, the only one the server
    // holds: a handshake still on its way could outlive the cut); Ann's comes back: her pending
    // message goes, with its client id.
    await expect.poll(() => socketServer().clients.size, POLL).toBe(1);
    await socketOpen(bob);
    await bob.context().setOffline(true);
    dropSockets();
    await bob.getByRole('status').filter({ hasText: 'Connection lost — reconnecting…' }).waitFor(WAIT);
    await ann.context().setOffline(false);
    await lost.waitFor({ state: 'detached', ...WAIT });
    await expect.poll(() => presence(ann).textContent(), POLL).toMatch(/^last seen /);
    await message(ann, offline).waitFor(WAIT);
    const whileAway = [1, 2, 3].map((i) => `While you were away ${i} ${suffix}`);
    for (const text of whileAway) {
      await send(ann, text);
      await message(ann, text).waitFor(WAIT);
    }
    expect(await message(bob, offline).count()).toBe(0);

    // Bob comes back: the resume brings what he missed, once each, in order, without a reload.
    await bob.context().setOffline(false);
    await socketOpen(bob);
    await expect.poll(() => presence(ann).textContent(), POLL).toBe('online');
    for (const text of [offline, ...whileAway]) await message(bob, text).waitFor(WAIT);
    const expected = ['message deleted', reply, offline, ...whileAway];
    for (const page of [ann, bob]) {
      await expect.poll(() => page.getByRole('log').locator('li.chat-msg .chat-text').allTextContents(), POLL).toEqual(expected);
    }
    expect(await documentMarked(bob)).toBe(true);
    // The server kept one of each.
    const login = await web.app.runtime.app.inject({ method: 'POST', url: '/api/v1/auth/login', payload: { login: annName, password: 'correct horse battery staple' } });
    const token = (login.json() as { accessToken: string }).accessToken;
    const history = await web.app.runtime.app.inject({ method: 'GET', url: `/api/v1/conversations/${conversationId}/messages?limit=200`, headers: bearer(token) });
    const texts = (history.json() as { items: { text: string; deleted: boolean }[] }).items.map((m) => (m.deleted ? 'message deleted' : m.text));
    expect(texts).toEqual(expected);
  }, TEST_MS);

  it('notifies a member with no chat open; the notification opens the conversation, and reading it takes it away', async () => {
    await ann.goto(`/chat/${conversationId}`);
    await socketOpen(ann);
    // Bob leaves the chat for his notifications: his socket closes, Ann sees him go.
    await bob.goto('/notifications');
    await bob.getByRole('heading', { name: 'Notifications' }).waitFor(WAIT);
    await expect.poll(() => presence(ann).textContent(), POLL).toMatch(/^last seen /);
    // Carol writes to him in a conversation of their own (no notification history there).
    const created = await web.app.runtime.app.inject({ method: 'POST', url: '/api/v1/conversations', headers: bearer(carol.token), payload: { kind: 'direct', with: bobName } });
    const id = (created.json() as { id: string }).id;
    const text = `Are you there? ${suffix}`;
    const sent = await web.app.runtime.app.inject({ method: 'POST', url: `/api/v1/conversations/${id}/messages`, headers: bearer(carol.token), payload: { text, clientId: 'are-you-there' } });
    expect(sent.statusCode).toBe(201);

    // It comes to his open notifications page live.
    const item = bob.getByRole('list', { name: 'Notifications' }).getByRole('listitem').filter({ hasText: `@${carolName} sent you messages` });
    await item.waitFor(WAIT);
    expect(await item.count()).toBe(1);
    await item.getByRole('link', { name: 'Open the conversation' }).click();
    await bob.waitForURL(`**/chat/${id}`, WAIT);
    await message(bob, text).waitFor(WAIT);
    const readSeq = async () => {
      const res = await web.app.runtime.app.inject({ method: 'GET', url: `/api/v1/conversations/${id}`, headers: bearer(carol.token) });
      return (res.json() as { members: { user: { username: string }; readSeq: number }[] }).members.find((m) => m.user.username === bobName)?.readSeq;
    };
    await expect.poll(readSeq, POLL).toBe((sent.json() as { seq: number }).seq);
    await bob.goto('/notifications');
    await bob.getByRole('heading', { name: 'Notifications' }).waitFor(WAIT);
    await expect
      .poll(async () => {
        if ((await item.count()) === 0) return true;
        await bob.reload();
        return false;
      }, POLL)
      .toBe(true);
  }, TEST_MS);

  it('fits a phone-sized screen: the list, then the conversation with a way back', async () => {
    const phone = await web.newPage({ width: 375, height: 667, mobile: true });
    await phone.goto('/login?next=/chat');
    await phone.getByLabel('Username or email').fill(bobName);
    await phone.getByLabel('Password').fill('correct horse battery staple');
    await phone.getByRole('button', { name: 'Sign in' }).click();
    await phone.waitForURL('**/chat', WAIT);
    await entry(phone, annName).click();
    await message(phone, reply).waitFor(WAIT);
    expect(await phone.getByRole('list', { name: 'Conversation list' }).isVisible()).toBe(false);
    const overflow = await phone.evaluate(() => {
      const page = globalThis as unknown as { innerWidth: number; document: { documentElement: { scrollWidth: number } } };
      return page.document.documentElement.scrollWidth - page.innerWidth;
    });
    expect(overflow).toBeLessThanOrEqual(0);
    await phone.screenshot({ path: join(SHOTS, 'chat-phone.png') });
    await phone.getByRole('link', { name: 'All conversations' }).click();
    await entry(phone, annName).waitFor(WAIT);
    await phone.context().close();
  }, TEST_MS);
});
