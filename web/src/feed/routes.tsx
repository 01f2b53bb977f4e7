import { lazy, type ReactNode } from 'react';

// Each feed page is a chunk of its own, loaded when first visited: the first page stays small.
const HomePage = lazy(() => import('./home.page.js'));
const ProfilePage = lazy(() => import('./profile.page.js'));
const SearchPage = lazy(() => import('./search.page.js'));
const NotificationsPage = lazy(() => import('./notifications.page.js'));

/** The feed's pages, in the shape of app.tsx's route table (spread in at its feed marker). */
export const FEED_ROUTES: { pattern: string; auth?: boolean; render: (params: Record<string, string>, query: URLSearchParams) => ReactNode }[] = [
  { pattern: '/home', auth: true, render: () => <HomePage /> },
  { pattern: '/u/:username', render: (p) => <ProfilePage key={p.username} username={p.username!} /> },
  { pattern: '/search', render: (_, q) => <SearchPage query={q} /> },
  { pattern: '/notifications', auth: true, render: () => <NotificationsPage /> },
];
