/**
 * The checks on a config's routes that both the schema (`parseConfig`) and the CDK app's deploy checks
 * (packages/infra/src/deploy-settings.ts) make, defined once: a stack can be built from a config object
 * that never went through `parseConfig`, and S3 only refuses an ambiguous notification configuration
 * in the middle of a deployment. Each returns the problem's message, or undefined.
 */

/** What the checks read of a route. */
export interface RouteFilterFields {
  id: string;
  prefix: string;
  suffix: string;
}

/** S3 rejects two rules that can match the same key for the same event type. */
export function filtersOverlap(
  a: Pick<RouteFilterFields, 'prefix' | 'suffix'>,
  b: Pick<RouteFilterFields, 'prefix' | 'suffix'>,
): boolean {
  const prefixesOverlap = a.prefix.startsWith(b.prefix) || b.prefix.startsWith(a.prefix);
  const suffixesOverlap = a.suffix.endsWith(b.suffix) || b.suffix.endsWith(a.suffix);
  return prefixesOverlap && suffixesOverlap;
}

/** A route whose prefix overlaps `internalPrefix` would trigger the function on its own writes. */
export function internalPrefixProblem(route: RouteFilterFields, internalPrefix: string): string | undefined {
  if (!route.prefix.startsWith(internalPrefix) && !internalPrefix.startsWith(route.prefix)) return undefined;
  return `prefix "${route.prefix}" overlaps internalPrefix "${internalPrefix}": the function would trigger itself`;
}

/** Two routes whose notification filters overlap (the later one is the setting to change). */
export function routeOverlapProblem(a: RouteFilterFields, b: RouteFilterFields): string | undefined {
  if (!filtersOverlap(a, b)) return undefined;
  return `routes "${a.id}" and "${b.id}" overlap (prefix "${a.prefix}"/"${b.prefix}", suffix "${a.suffix}"/"${b.suffix}"); S3 rejects overlapping notification filters for the same event type`;
}
