import type { Case } from './case-kit.ts';
import { bucketConfigCases } from './cases-bucket-config.ts';
import { differenceCases } from './cases-differences.ts';
import { listingCases } from './cases-listings.ts';
import { multipartCases } from './cases-multipart.ts';
import { objectCases } from './cases-objects.ts';
import { postCases } from './cases-post.ts';
import { versioningAndAuthCases } from './cases-versioning-auth.ts';

/**
 * S3 conformance cases, run with the AWS SDK for JavaScript v3. Each name cites the section of
 * /work/shared/reference/s3-api-semantics.md (the AWS documentation and recordings it quotes)
 * whose behaviour the case checks. `motoDiffers` says where moto_server departs from AWS's
 * documented behaviour: the documentation wins, and the case is expected to fail on moto.
 */

export type { Case } from './case-kit.ts';

/** The cases by operation family, in the order they run (the suite reports its counts by family). */
export const families: Record<string, Case[]> = {
  listings: listingCases,
  objects: objectCases,
  multipart: multipartCases,
  'versioning, buckets, signing': versioningAndAuthCases,
  'bucket configuration, tagging, ACLs, object lock': bucketConfigCases,
  'behaviours a peer suite caught': differenceCases,
  'POST Object (presigned POST)': postCases,
};

/** Every case, in the order they run. */
export const cases: Case[] = Object.values(families).flat();
