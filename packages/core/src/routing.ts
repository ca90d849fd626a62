import type { Route } from '@eventline/config/runtime';

/** The route whose prefix and suffix match the key, as S3's notification filters would. */
export function matchRoute(routes: readonly Route[], key: string): Route | undefined {
  return routes.find((route) => key.startsWith(route.prefix) && key.endsWith(route.suffix));
}
