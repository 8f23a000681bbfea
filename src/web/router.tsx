import { useSyncExternalStore } from 'react';
import type { AnchorHTMLAttributes, MouseEvent, Ref } from 'react';

/**
 * A deliberately tiny client-side router: the URL is the only state, changed with
 * history.pushState/replaceState and read back through useSyncExternalStore.
 */

const listeners = new Set<() => void>();

function subscribe(listener: () => void): () => void {
  listeners.add(listener);
  window.addEventListener('popstate', listener);
  return () => {
    listeners.delete(listener);
    window.removeEventListener('popstate', listener);
  };
}

const currentHref = (): string => window.location.pathname + window.location.search;

export interface NavigateOptions {
  /** Replace the current history entry instead of adding one (redirects, search-as-you-type). */
  replace?: boolean;
}

/** Goes to a path on this site without reloading the page. */
export function navigate(to: string, options: NavigateOptions = {}): void {
  if (to === currentHref()) return;
  if (options.replace) {
    window.history.replaceState(null, '', to);
  } else {
    window.history.pushState(null, '', to);
    window.scrollTo(0, 0);
  }
  for (const listener of listeners) listener();
}

export interface RouterLocation {
  pathname: string;
  search: URLSearchParams;
  /** pathname + search, as it would go in a `next` parameter. */
  href: string;
}

/** The current location; re-renders the caller when it changes. */
export function useLocation(): RouterLocation {
  const href = useSyncExternalStore(subscribe, currentHref);
  const url = new URL(href, window.location.origin);
  return { pathname: url.pathname, search: url.searchParams, href };
}

/**
 * Matches a path against a pattern such as "/patients/:id"; returns the named segments, decoded,
 * or null when the path does not fit. Segments are compared exactly; there are no wildcards.
 */
export function matchPath(pattern: string, pathname: string): Record<string, string> | null {
  const want = pattern.split('/').filter(Boolean);
  const have = pathname.split('/').filter(Boolean);
  if (want.length !== have.length) return null;
  const params: Record<string, string> = {};
  for (const [i, segment] of want.entries()) {
    const actual = have[i]!;
    if (segment.startsWith(':')) {
      try {
        params[segment.slice(1)] = decodeURIComponent(actual);
      } catch {
        return null;
      }
    } else if (segment !== actual) {
      return null;
    }
  }
  return params;
}

/** The current path with some query parameters changed (null or '' removes one). */
export function withSearch(location: Pick<RouterLocation, 'pathname' | 'search'>, changes: Record<string, string | null>): string {
  const params = new URLSearchParams(location.search);
  for (const [key, value] of Object.entries(changes)) {
    if (value === null || value === '') params.delete(key);
    else params.set(key, value);
  }
  const search = params.toString();
  return search ? `${location.pathname}?${search}` : location.pathname;
}

/** Changes query parameters of the page being shown (reads the address as it is now, not as last rendered). */
export function updateSearch(changes: Record<string, string | null>, options: NavigateOptions = {}): void {
  const current = { pathname: window.location.pathname, search: new URLSearchParams(window.location.search) };
  navigate(withSearch(current, changes), options);
}

/**
 * Only paths on this site are acceptable redirect targets after sign-in; anything else
 * (an absolute or protocol-relative URL) would make /login an open redirect.
 */
export function safeNextPath(next: string | null, fallback: string): string {
  if (!next || !next.startsWith('/') || next.startsWith('//') || next.startsWith('/\\')) return fallback;
  if (next === '/login' || next.startsWith('/login?')) return fallback;
  return next;
}

function isPlainLeftClick(event: MouseEvent<HTMLAnchorElement>): boolean {
  return (
    !event.defaultPrevented &&
    event.button === 0 &&
    !event.metaKey &&
    !event.ctrlKey &&
    !event.shiftKey &&
    !event.altKey &&
    (!event.currentTarget.target || event.currentTarget.target === '_self')
  );
}

export type LinkProps = AnchorHTMLAttributes<HTMLAnchorElement> & {
  href: string;
  ref?: Ref<HTMLAnchorElement>;
};

/** An ordinary anchor (middle-click and "open in new tab" work) that navigates in-app on a plain click. */
export function Link({ href, onClick, ...rest }: LinkProps) {
  return (
    <a
      {...rest}
      href={href}
      onClick={(event) => {
        onClick?.(event);
        if (!isPlainLeftClick(event)) return;
        event.preventDefault();
        navigate(href);
      }}
    />
  );
}
