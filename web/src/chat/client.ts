import { formError } from '../form.js';
import type { Session } from '../session.js';
import { applyFrame, type Effects } from './events.js';
import { Outbox } from './outbox.js';
import { ChatSocket } from './socket.js';
import { INITIAL, newerSummary, sortSummaries, summaryOf, upsertMessages, type ChatState } from './state.js';
import { ChatStore } from './store.js';
import type { Conversation, ConversationPage, ConversationSummary, Message, MessagePage, ServerFrame } from './types.js';

export interface ChatAuth {
  userId: string;
  username: string;
  token: Session['token'];
  call: Session['call'];
}

/** One page of history: the server's default. */
const PAGE = 50;
/** At most one `typing` per conversation this often (the server relays one per 3 s anyway). */
const TYPING_EVERY_MS = 3_000;

const path = (id: string) => `/api/v1/conversations/${encodeURIComponent(id)}`;

/**
 * The chat of the signed-in user in this tab: the conversation list, the threads opened, typing,
 * presence and receipts, kept by the socket's events and the REST API. The socket is the live
 * path; REST brings snapshots (the list, history pages) and the socket's `resume` fills what a
 * snapshot or a drop missed, per conversation from the last seq seen. Messages are sent over the
 * socket with a client id each; unacknowledged ones are sent again, with the same id, after a
 * reconnection, so the server keeps one whatever was lost.
 */
export class ChatClient {
  readonly #store = new ChatStore();
  #auth: ChatAuth | null = null;
  readonly #socket: ChatSocket;
  readonly #outbox: Outbox;
  /** Per conversation, the seq up to which every event has been seen (the `resume` point). */
  #lastSeen = new Map<string, number>();
  /** Bumped on each `ready`: a snapshot requested on an older connection may predate its subscription. */
  #connection = 0;
  /** The conversation on screen, while the document is visible (its messages are read). */
  #visible: string | null = null;
  #readSent = new Map<string, number>();
  #deliveredSent = new Map<string, number>();
  #typingSentAt = new Map<string, number>();
  #typingTimers = new Map<string, ReturnType<typeof setTimeout>>();
  #listing: Promise<void> | null = null;
  #threadLoads = new Map<string, Promise<void>>();

  constructor() {
    this.#socket = new ChatSocket({
      token: () => this.#auth?.token() ?? null,
      renew: () => (this.#auth === null ? Promise.resolve(false) : this.#auth.call('GET', '/api/v1/me').then(() => true, () => false)),
      onFrame: (frame) => this.#onFrame(frame),
      onStatus: (status) => this.#set({ ...this.#store.state, status }),
    });
    this.#outbox = new Outbox(this.#store, this.#socket, () => this.#auth);
  }

  get state(): ChatState {
    return this.#store.state;
  }

  subscribe(listener: () => void): () => void {
    return this.#store.subscribe(listener);
  }

  /**
   * Starts the chat for `auth`, or restarts it for another user. The same user again keeps it as it
   * is (the session's functions do not change): answers in flight still find their session.
   */
  attach(auth: ChatAuth): void {
    if (this.#auth?.userId === auth.userId) return;
    this.detach();
    this.#auth = auth;
    this.#set({ ...this.#store.state, me: auth.username });
    this.#socket.start();
    void this.loadList();
  }

  /** Closes the socket and forgets everything (signed out, or another user). */
  detach(): void {
    this.#socket.stop();
    this.#auth = null;
    this.#lastSeen.clear();
    this.#readSent.clear();
    this.#deliveredSent.clear();
    this.#typingSentAt.clear();
    for (const timer of this.#typingTimers.values()) clearTimeout(timer);
    this.#typingTimers.clear();
    this.#visible = null;
    this.#listing = null;
    this.#threadLoads.clear();
    this.#set(INITIAL);
  }

  #set(state: ChatState): void {
    this.#store.set(state);
  }

  #seen(id: string, seq: number): void {
    if (seq > (this.#lastSeen.get(id) ?? -1)) this.#lastSeen.set(id, seq);
  }

  /**
   * Asks the server for what followed `lastSeen` in these conversations (nothing to ask: no frame,
   * unless `always`: a new socket holds live events back until its first `resume`, up to 1 s).
   */
  #resume(ids: Iterable<string>, always = false): void {
    const conversations: Record<string, number> = {};
    for (const id of ids) {
      const seq = this.#lastSeen.get(id);
      if (seq !== undefined) conversations[id] = seq;
    }
    if (always || Object.keys(conversations).length > 0) this.#socket.send({ type: 'resume', conversations });
  }

  // ---- the conversation list ----

  /** Loads the first page of conversations (one request at a time; a second call waits for it). */
  loadList(): Promise<void> {
    const auth = this.#auth;
    if (auth === null) return Promise.resolve();
    this.#listing ??= (async () => {
      const connection = this.#connection;
      const wasReady = this.#socket.ready;
      try {
        const page = await auth.call<ConversationPage>('GET', '/api/v1/conversations?limit=100');
        if (this.#auth !== auth) return;
        this.#mergeList(page.items, page.nextCursor);
        // The socket opened while the list was on its way: events between the two are fetched.
        if (!wasReady || connection !== this.#connection) this.#resume(page.items.map((s) => s.id));
      } catch (e) {
        if (this.#auth === auth) this.#set({ ...this.#store.state, list: { ...this.#store.state.list, error: formError(e).message } });
      } finally {
        this.#listing = null;
      }
    })();
    return this.#listing;
  }

  /** The next page of conversations. */
  async loadMoreConversations(): Promise<void> {
    const auth = this.#auth;
    const cursor = this.#store.state.list.nextCursor;
    if (auth === null || cursor === null) return;
    try {
      const page = await auth.call<ConversationPage>('GET', `/api/v1/conversations?limit=100&cursor=${encodeURIComponent(cursor)}`);
      if (this.#auth !== auth) return;
      this.#mergeList(page.items, page.nextCursor);
      this.#resume(page.items.map((s) => s.id));
    } catch (e) {
      if (this.#auth === auth) this.#set({ ...this.#store.state, list: { ...this.#store.state.list, error: formError(e).message } });
    }
  }

  #mergeList(fetched: ConversationSummary[], nextCursor: string | null): void {
    const shown = new Map(this.#store.state.list.items.map((s) => [s.id, s]));
    for (const summary of fetched) {
      const merged = newerSummary(shown.get(summary.id), summary);
      shown.set(summary.id, merged);
      // An open thread's resume point moves with what the thread holds, not with the list: a list
      // fetched while the socket was down must not skip the thread past messages it has not got.
      if (this.#store.state.threads[summary.id] === undefined) this.#seen(summary.id, summary.lastSeq);
      // Fetched is delivered: the senders see ✓ for what reached this device.
      if (summary.unread > 0) this.#delivered(summary.id, summary.lastSeq);
    }
    const items = sortSummaries([...shown.values()]);
    this.#set({ ...this.#store.state, list: { items, loaded: true, error: null, nextCursor } });
    if (this.#visible !== null) this.#markRead(this.#visible);
  }

  // ---- threads ----

  /** Loads a conversation's latest messages and its members, once (again after a failure). */
  openThread(id: string): Promise<void> {
    const auth = this.#auth;
    if (auth === null) return Promise.resolve();
    if (this.#store.thread(id).loaded) return Promise.resolve();
    let load = this.#threadLoads.get(id);
    if (load !== undefined) return load;
    load = (async () => {
      const connection = this.#connection;
      const wasReady = this.#socket.ready;
      this.#store.setThread(id, (t) => ({ ...t, error: null }));
      try {
        const [page, conversation] = await Promise.all([auth.call<MessagePage>('GET', `${path(id)}/messages?limit=${PAGE}`), auth.call<Conversation>('GET', path(id))]);
        if (this.#auth !== auth) return;
        this.#store.setDetails(conversation);
        // Live events that came meanwhile stay; one older than the page would leave a gap above it.
        const from = page.hasMore ? (page.items[0]?.seq ?? 0) : 0;
        this.#store.setThread(id, (t) => ({ ...t, messages: upsertMessages(t.messages.filter((m) => m.seq >= from), page.items), loaded: true, hasMore: page.hasMore }));
        // The page's newest version, not the conversation's lastSeq: that one was read apart from the page.
        for (const m of page.items) this.#seen(id, m.versionSeq);
        if (!wasReady || connection !== this.#connection) this.#resume([id]);
        if (!this.#store.state.list.items.some((s) => s.id === id)) this.#store.putSummary(summaryOf(conversation, auth.username));
        this.#markRead(id);
      } catch (e) {
        if (this.#auth === auth) this.#store.setThread(id, (t) => ({ ...t, error: formError(e).message }));
      } finally {
        this.#threadLoads.delete(id);
      }
    })();
    this.#threadLoads.set(id, load);
    return load;
  }

  /** The page of history before the first message shown (infinite scroll up). */
  async loadOlder(id: string): Promise<void> {
    const auth = this.#auth;
    const thread = this.#store.thread(id);
    const first = thread.messages[0];
    if (auth === null || !thread.loaded || !thread.hasMore || thread.loadingOlder || first === undefined) return;
    this.#store.setThread(id, (t) => ({ ...t, loadingOlder: true, error: null }));
    try {
      const page = await auth.call<MessagePage>('GET', `${path(id)}/messages?before=${first.seq}&limit=${PAGE}`);
      if (this.#auth !== auth) return;
      this.#store.setThread(id, (t) => ({ ...t, messages: upsertMessages(t.messages, page.items), hasMore: page.hasMore, loadingOlder: false }));
    } catch (e) {
      if (this.#auth === auth) this.#store.setThread(id, (t) => ({ ...t, loadingOlder: false, error: formError(e).message }));
    }
  }

  /** Says which conversation is on screen (null: none, or the tab is hidden): its messages are read. */
  setVisible(id: string | null): void {
    this.#visible = id;
    if (id !== null) this.#markRead(id);
  }

  /** Marks everything shown in `id` read, once per new message (the socket, or REST while it is down). */
  #markRead(id: string): void {
    const auth = this.#auth;
    if (auth === null || this.#visible !== id) return;
    const thread = this.#store.thread(id);
    if (!thread.loaded) return;
    const summary = this.#store.summary(id);
    // Up to the last message of someone else (one's own are never unread).
    const theirs = (m: Message | null | undefined) => (m != null && m.author.username !== auth.username ? m.seq : 0);
    const mine = (m: Message) => m.author.username === auth.username;
    const lastTheirs = [...thread.messages].reverse().find((m) => !mine(m));
    const seq = Math.max(theirs(lastTheirs), theirs(summary?.lastMessage));
    if (seq === 0 || seq <= (this.#readSent.get(id) ?? 0)) return;
    if (summary !== undefined && seq <= summary.readSeq && summary.unread === 0) return;
    this.#readSent.set(id, seq);
    if (!this.#socket.send({ type: 'read', conversationId: id, seq })) {
      auth.call('POST', `${path(id)}/read`, { seq }).catch(() => this.#readSent.delete(id));
    }
    if (summary !== undefined) this.#store.putSummary({ ...summary, readSeq: Math.max(summary.readSeq, seq), unread: 0 });
  }

  #delivered(id: string, seq: number): void {
    if (seq <= (this.#deliveredSent.get(id) ?? 0)) return;
    if (this.#socket.send({ type: 'delivered', conversationId: id, seq })) this.#deliveredSent.set(id, seq);
  }

  // ---- writing ----

  /** Sends `text` to conversation `id`: shown at once as pending, acknowledged by the server (see Outbox). */
  send(id: string, text: string): void {
    this.#outbox.send(id, text);
  }

  retry(id: string, clientId: string): void {
    this.#outbox.retry(id, clientId);
  }

  discard(id: string, clientId: string): void {
    this.#outbox.discard(id, clientId);
  }

  /** Edits one of my messages; answers the error message, or null. */
  async edit(id: string, seq: number, text: string): Promise<string | null> {
    const auth = this.#auth;
    if (auth === null) return 'Signed out.';
    try {
      const message = await auth.call<Message>('PATCH', `${path(id)}/messages/${seq}`, { text });
      this.#store.putMessages(id, [message]);
      return null;
    } catch (e) {
      return formError(e).message;
    }
  }

  /** Deletes one of my messages (a tombstone stays in its place); answers the error message, or null. */
  async remove(id: string, seq: number): Promise<string | null> {
    const auth = this.#auth;
    if (auth === null) return 'Signed out.';
    try {
      await auth.call('DELETE', `${path(id)}/messages/${seq}`);
      const shown = this.#store.thread(id).messages.find((m) => m.seq === seq);
      if (shown !== undefined) this.#store.putMessages(id, [{ ...shown, text: '', deleted: true }]);
      return null;
    } catch (e) {
      return formError(e).message;
    }
  }

  /** Tells the others I am typing in `id`, at most once per 3 s. */
  typing(id: string): void {
    const now = Date.now();
    if (now - (this.#typingSentAt.get(id) ?? 0) < TYPING_EVERY_MS) return;
    if (this.#socket.send({ type: 'typing', conversationId: id })) this.#typingSentAt.set(id, now);
  }

  /** `away` while the tab is hidden, `online` when it comes back. */
  presence(status: 'online' | 'away'): void {
    this.#socket.send({ type: 'presence', status });
  }

  /** Creates (or finds: one per pair) the direct conversation with `username`; answers its id. */
  async createDirect(username: string): Promise<string> {
    return this.#created(await this.#call<Conversation>('POST', '/api/v1/conversations', { kind: 'direct', with: username }));
  }

  async createGroup(title: string, members: string[]): Promise<string> {
    return this.#created(await this.#call<Conversation>('POST', '/api/v1/conversations', { kind: 'group', title, members }));
  }

  #call<T>(method: string, url: string, body?: unknown): Promise<T> {
    if (this.#auth === null) return Promise.reject(new Error('Signed out.'));
    return this.#auth.call<T>(method, url, body);
  }

  #created(conversation: Conversation): string {
    const me = this.#auth?.username ?? '';
    this.#store.setDetails(conversation);
    const shown = this.#store.state.list.items.find((s) => s.id === conversation.id);
    if (shown === undefined) this.#store.putSummary(summaryOf(conversation, me));
    this.#seen(conversation.id, conversation.lastSeq);
    return conversation.id;
  }

  // ---- the socket's frames ----

  #onFrame(frame: ServerFrame): void {
    const effects: Effects = {
      me: this.#auth?.username ?? '',
      visible: this.#visible,
      lastSeen: (id) => this.#lastSeen.get(id),
      seen: (id, seq) => this.#seen(id, seq),
      delivered: (id, seq) => this.#delivered(id, seq),
      markRead: (id) => this.#markRead(id),
      refreshList: () => void this.loadList(),
      refreshDetails: (id) => void this.#refreshDetails(id),
      expireTyping: (id, at) => this.#expireTyping(id, at),
      forget: (id) => this.#lastSeen.delete(id),
    };
    if (frame.type === 'ready') this.#onReady();
    const next = applyFrame(this.#store.state, frame, effects);
    this.#set(next);
    effects.after?.();
  }

  /** A (re)connection: resume every conversation known, then send what is still pending. */
  #onReady(): void {
    this.#connection++;
    this.#deliveredSent.clear();
    this.#readSent.clear();
    this.#resume(this.#lastSeen.keys(), true);
    this.#outbox.resend();
    if (typeof document !== 'undefined' && document.visibilityState === 'hidden') this.presence('away');
    // Conversations created or joined while away, and the unread counts, come with a fresh list.
    if (this.#connection > 1) void this.loadList();
    if (this.#visible !== null) this.#markRead(this.#visible);
  }

  async #refreshDetails(id: string): Promise<void> {
    const auth = this.#auth;
    if (auth === null || this.#store.state.details[id] === undefined) return;
    try {
      const conversation = await auth.call<Conversation>('GET', path(id));
      if (this.#auth === auth) this.#store.setDetails(conversation);
    } catch {
      // Gone (removed meanwhile) or offline: the next event or load has it right.
    }
  }

  #expireTyping(id: string, at: number): void {
    clearTimeout(this.#typingTimers.get(id));
    this.#typingTimers.set(
      id,
      setTimeout(() => {
        const now = Date.now();
        const left = (this.#store.state.typing[id] ?? []).filter((t) => t.until > now);
        this.#set({ ...this.#store.state, typing: { ...this.#store.state.typing, [id]: left } });
        const next = Math.min(...left.map((t) => t.until));
        if (left.length > 0) this.#expireTyping(id, next);
      }, Math.max(0, at - Date.now()) + 20),
    );
  }
}
