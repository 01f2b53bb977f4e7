/** A live tweet as the feed hands it out; ids are decimal strings, times epoch ms. */
export interface Tweet {
  id: string;
  authorId: string;
  /** The author's user name. */
  author: string;
  text: string;
  replyTo: string | null;
  likeCount: number;
  replyCount: number;
  createdAt: number;
}

/** The JSON shape of a tweet. `likedByMe` is present only when the reader is signed in. */
export interface TweetView {
  id: string;
  authorId: string;
  author: string;
  text: string;
  createdAt: string;
  likeCount: number;
  replyCount: number;
  replyTo: string | null;
  likedByMe?: boolean;
}

/** A page of a list, newest first, and the opaque cursor of the next one (null: the end). */
export interface Page<T> {
  items: T[];
  nextCursor: string | null;
}

/** A user's public numbers. */
export interface Profile {
  id: string;
  username: string;
  displayName: string;
  followers: number;
  following: number;
  tweets: number;
  createdAt: string;
}

/** A user in a followers/following list. */
export interface UserSummary {
  id: string;
  username: string;
  displayName: string;
}

/** The JSON shape of a tweet. */
export function tweetView(tweet: Tweet, likedByMe: boolean | undefined): TweetView {
  const view: TweetView = {
    id: tweet.id,
    authorId: tweet.authorId,
    author: tweet.author,
    text: tweet.text,
    createdAt: new Date(tweet.createdAt).toISOString(),
    likeCount: tweet.likeCount,
    replyCount: tweet.replyCount,
    replyTo: tweet.replyTo,
  };
  if (likedByMe !== undefined) view.likedByMe = likedByMe;
  return view;
}
