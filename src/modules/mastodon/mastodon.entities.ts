import { textEntities, type Profile, type TweetView } from '../feed/index.js';
import type { NotificationKind } from '../notifications/index.js';
import { statusHtml } from './mastodon.html.js';

/** The avatar and header every account shows (Blueprint has no media): served by the module. */
export const MISSING_IMAGE_PATH = '/avatars/original/missing.png';

/** Mastodon's Account entity for a profile. */
export function accountEntity(profile: Profile, publicUrl: string) {
  const url = `${publicUrl}/u/${profile.username}`;
  const image = `${publicUrl}${MISSING_IMAGE_PATH}`;
  return {
    id: profile.id,
    username: profile.username,
    acct: profile.username,
    display_name: profile.displayName,
    locked: false,
    bot: false,
    discoverable: true,
    indexable: true,
    group: false,
    created_at: profile.createdAt,
    note: '',
    url,
    uri: url,
    avatar: image,
    avatar_static: image,
    header: image,
    header_static: image,
    followers_count: profile.followers,
    following_count: profile.following,
    statuses_count: profile.tweets,
    last_status_at: null,
    hide_collections: false,
    noindex: false,
    emojis: [],
    roles: [],
    fields: [],
  };
}
export type AccountEntity = ReturnType<typeof accountEntity>;

/** What rendering a status needs beyond the tweet: its author, its parent's author, the mentioned users. */
export interface StatusContext {
  account: AccountEntity;
  inReplyToAccountId: string | null;
  /** Mentioned users that exist, by lower-case name. */
  mentions: ReadonlyMap<string, { id: string; username: string }>;
}

/** Mastodon's Status entity for a tweet (public, no media, polls or boosts: Blueprint has none). */
export function statusEntity(tweet: TweetView, context: StatusContext, publicUrl: string) {
  const url = `${publicUrl}/u/${tweet.author}/status/${tweet.id}`;
  const mentionUrl = (name: string) => (context.mentions.has(name) ? `${publicUrl}/u/${name}` : undefined);
  const tags = [...new Set(textEntities(tweet.text).flatMap((e) => (e.kind === 'hashtag' ? [e.name.toLowerCase()] : [])))];
  return {
    id: tweet.id,
    uri: url,
    url,
    created_at: tweet.createdAt,
    edited_at: null,
    account: context.account,
    content: statusHtml(tweet.text, publicUrl, mentionUrl),
    text: tweet.text,
    visibility: 'public' as const,
    sensitive: false,
    spoiler_text: '',
    language: null,
    media_attachments: [],
    application: null,
    mentions: [...context.mentions.values()].map((u) => ({ id: u.id, username: u.username, acct: u.username, url: `${publicUrl}/u/${u.username}` })),
    tags: tags.map((name) => ({ name, url: `${publicUrl}/tags/${encodeURIComponent(name)}` })),
    emojis: [],
    reblogs_count: 0,
    favourites_count: tweet.likeCount,
    replies_count: tweet.replyCount,
    in_reply_to_id: tweet.replyTo,
    in_reply_to_account_id: context.inReplyToAccountId,
    reblog: null,
    poll: null,
    card: null,
    favourited: tweet.likedByMe ?? false,
    reblogged: false,
    muted: false,
    bookmarked: false,
    pinned: false,
    filtered: [],
  };
}
export type StatusEntity = ReturnType<typeof statusEntity>;

/** Blueprint's notification kinds under Mastodon's types: a reply mentions its parent's author; chat messages have none (not shown). */
export const NOTIFICATION_TYPES: Record<NotificationKind, 'mention' | 'favourite' | 'follow' | null> = {
  mention: 'mention',
  reply: 'mention',
  like: 'favourite',
  follow: 'follow',
  chat_message: null,
};

/** Mastodon's Relationship entity (no blocks, mutes or requests here). */
export function relationshipEntity(id: string, following: boolean, followedBy: boolean) {
  return {
    id,
    following,
    showing_reblogs: following,
    notifying: false,
    languages: null,
    followed_by: followedBy,
    blocking: false,
    blocked_by: false,
    muting: false,
    muting_notifications: false,
    requested: false,
    requested_by: false,
    domain_blocking: false,
    endorsed: false,
    note: '',
  };
}
