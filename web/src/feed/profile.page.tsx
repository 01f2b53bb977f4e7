import { useCallback, useEffect, useState } from 'react';
import { ApiProblem } from '../api.js';
import { formError } from '../form.js';
import { Link } from '../router.js';
import { useSession } from '../session.js';
import { usePaged, withItem } from './paged.js';
import { TweetList } from './tweet.js';
import type { Page, Profile, Tweet, UserSummary } from './types.js';

const joined = new Intl.DateTimeFormat(undefined, { month: 'long', year: 'numeric' });

/** `/u/:username`: a profile with its numbers, Follow/Unfollow, and the user's tweets. */
export default function ProfilePage({ username }: { username: string }) {
  const { call } = useSession();
  const [profile, setProfile] = useState<Profile | null>(null);
  const [missing, setMissing] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const path = `/api/v1/users/${encodeURIComponent(username)}`;

  const loadProfile = useCallback(async () => {
    try {
      setProfile(await call<Profile>('GET', path));
      setError(null);
    } catch (e) {
      if (e instanceof ApiProblem && e.status === 404) setMissing(true);
      else setError(formError(e).message);
    }
  }, [call, path]);

  useEffect(() => {
    setProfile(null);
    setMissing(false);
    void loadProfile();
  }, [loadProfile]);

  const load = useCallback((cursor: string | undefined) => call<Page<Tweet>>('GET', `${path}/tweets${cursor === undefined ? '' : `?cursor=${encodeURIComponent(cursor)}`}`), [call, path]);
  const tweets = usePaged<Tweet>(path, load);
  const { setItems } = tweets;
  /** A reply posted from the list: on one's own profile it is one of the tweets shown. */
  const posted = (tweet: Tweet) => {
    if (tweet.authorId !== profile?.id) return;
    setItems((shown) => withItem(shown, tweet));
    void loadProfile();
  };

  if (missing) {
    return (
      <section className="feed-page">
        <h1>No such user</h1>
        <p>
          Nobody is called @{username}. <Link href={`/search?type=users&q=${encodeURIComponent(username)}`}>Search for people</Link> instead.
        </p>
      </section>
    );
  }
  return (
    <section aria-labelledby="profile-title" className="feed-page">
      <div className="feed-profile">
        <div>
          <h1 id="profile-title">@{profile?.username ?? username}</h1>
          {profile && <p className="muted">Joined {joined.format(Date.parse(profile.createdAt))}</p>}
        </div>
        {profile && <FollowButton profile={profile} onChanged={() => void loadProfile()} />}
      </div>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
      {profile ? (
        <dl className="feed-numbers">
          <div>
            <dt>Tweets</dt>
            <dd>{profile.tweets}</dd>
          </div>
          <div>
            <dt>Followers</dt>
            <dd data-testid="followers">{profile.followers}</dd>
          </div>
          <div>
            <dt>Following</dt>
            <dd>{profile.following}</dd>
          </div>
        </dl>
      ) : (
        !error && <p aria-busy="true">Loading…</p>
      )}
      <h2>Tweets</h2>
      <TweetList paged={tweets} label={`Tweets by @${username}`} empty={<p>@{profile?.username ?? username} has not tweeted yet.</p>} infinite onPosted={posted} />
    </section>
  );
}

/**
 * Follow or Unfollow, for a signed-in reader on someone else's profile. Whether the reader follows
 * them: the first of the reader's followees at or below their id (the list is by id, highest first),
 * one indexed read rather than a walk through the list.
 */
function FollowButton({ profile, onChanged }: { profile: Profile; onChanged: () => void }) {
  const { user, call } = useSession();
  const [following, setFollowing] = useState<boolean | null>(null);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const self = user != null && user.id === profile.id;
  const me = user?.username;

  useEffect(() => {
    if (me === undefined || self) return;
    let current = true;
    setFollowing(null);
    const below = (BigInt(profile.id) + 1n).toString();
    call<Page<UserSummary>>('GET', `/api/v1/users/${encodeURIComponent(me)}/following?limit=1&cursor=${below}`)
      .then((page) => current && setFollowing(page.items[0]?.id === profile.id))
      .catch(() => current && setFollowing(false));
    return () => {
      current = false;
    };
  }, [me, self, profile.id, call]);

  if (user === null) {
    return (
      <Link className="feed-button-link" href={`/login?next=${encodeURIComponent(`/u/${profile.username}`)}`}>
        Sign in to follow
      </Link>
    );
  }
  if (user === undefined || self) return null;

  async function toggle() {
    const want = !following;
    setBusy(true);
    setError(null);
    try {
      const answer = await call<{ following: boolean }>(want ? 'PUT' : 'DELETE', `/api/v1/users/${encodeURIComponent(profile.username)}/follow`);
      setFollowing(answer.following);
      onChanged();
    } catch (e) {
      setError(formError(e).message);
    } finally {
      setBusy(false);
    }
  }

  return (
    <div className="feed-follow">
      <button type="button" className={following ? 'feed-secondary' : undefined} disabled={busy || following === null} onClick={() => void toggle()}>
        {following === null ? 'Follow' : following ? 'Unfollow' : 'Follow'}
      </button>
      {error && (
        <p className="error" role="alert">
          {error}
        </p>
      )}
    </div>
  );
}
