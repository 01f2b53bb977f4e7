import type { UserDirectory } from '../accounts/index.js';
import type { Feed, Tweet } from '../feed/index.js';
import { TweetNotFoundError, textEntities } from '../feed/index.js';
import { accountEntity, statusEntity, type AccountEntity, type StatusEntity } from './mastodon.entities.js';

/**
 * Renders the feed's tweets and users as Mastodon entities, reading everything through the feed's
 * and the directory's interfaces: tweet views (with the viewer's likes), the authors' profiles
 * (once per author per call), the parents' authors, and the mentioned users.
 */
export class MastodonViews {
  readonly #feed: Feed;
  readonly #users: UserDirectory;
  readonly #publicUrl: string;

  constructor(deps: { feed: Feed; users: UserDirectory; publicUrl: string }) {
    this.#feed = deps.feed;
    this.#users = deps.users;
    this.#publicUrl = deps.publicUrl;
  }

  /** Account entities for user names, in order (unknown names left out). */
  async accountsByName(usernames: readonly string[]): Promise<AccountEntity[]> {
    const profiles = await Promise.all(usernames.map((u) => this.#feed.actions.profile(u).catch(() => null)));
    return profiles.flatMap((p) => (p === null ? [] : [accountEntity(p, this.#publicUrl)]));
  }

  /** Account entities for user ids, in order (unknown ids left out). */
  async accountsById(ids: readonly string[]): Promise<AccountEntity[]> {
    const found = await this.#users.byIds(ids);
    return this.accountsByName(ids.flatMap((id) => (found.has(id) ? [found.get(id)!.username] : [])));
  }

  /** Status entities for tweets, in order; ones deleted meanwhile are left out. */
  async statuses(tweets: readonly Tweet[], viewerId: string | null): Promise<StatusEntity[]> {
    if (tweets.length === 0) return [];
    const views = await this.#feed.hydrateTweets(tweets.map((t) => t.id), viewerId);
    const authors = new Map((await this.accountsByName([...new Set(views.map((v) => v.author))])).map((a) => [a.username, a]));
    const parentIds = [...new Set(views.flatMap((v) => (v.replyTo === null ? [] : [v.replyTo])))];
    const parents = new Map((await this.#feed.tweetsByIds(parentIds)).map((t) => [t.id, t.authorId]));
    const names = [...new Set(views.flatMap((v) => textEntities(v.text).flatMap((e) => (e.kind === 'mention' ? [e.name.toLowerCase()] : []))))];
    const users = new Map((await Promise.all(names.map((n) => this.#users.byUsername(n)))).flatMap((u) => (u === null ? [] : [[u.username, { id: u.id, username: u.username }] as const])));
    return views.flatMap((view) => {
      const account = authors.get(view.author);
      if (account === undefined) return [];
      const mentioned = textEntities(view.text).flatMap((e) => {
        const user = e.kind === 'mention' ? users.get(e.name.toLowerCase()) : undefined;
        return user === undefined ? [] : [[user.username, user] as const];
      });
      return [statusEntity(view, { account, inReplyToAccountId: view.replyTo === null ? null : (parents.get(view.replyTo) ?? null), mentions: new Map(mentioned) }, this.#publicUrl)];
    });
  }

  /** One status entity; TweetNotFoundError (404) when it is not live. */
  async status(id: string, viewerId: string | null): Promise<StatusEntity> {
    const tweet = await this.#feed.actions.get(id);
    const [entity] = await this.statuses([tweet], viewerId);
    if (entity === undefined) throw new TweetNotFoundError(id);
    return entity;
  }
}
