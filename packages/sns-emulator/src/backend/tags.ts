/**
 * Topic tags for the SNS emulator: the tagging API and the checks CreateTopic shares.
 */
import { invalidParameter, resourceNotFound, tagLimitExceeded } from '../errors.ts';
import type { Tag, TopicRecord } from '../store.ts';
import type { Deps } from './context.ts';

const MAX_TAGS = 50;

/** ListTagsForResource, TagResource, UntagResource: tags live on topics (the only taggable resource here). */
export class Tags {
  readonly #d: Deps;

  constructor(deps: Deps) {
    this.#d = deps;
  }

  #tagged(resourceArn: string | undefined): TopicRecord {
    const topic = resourceArn ? this.#d.store.topics.get(resourceArn) : undefined;
    if (!topic) throw resourceNotFound('Resource does not exist');
    return topic;
  }

  listTags(resourceArn: string | undefined): Tag[] {
    return [...this.#tagged(resourceArn).tags];
  }

  async tagResource(resourceArn: string | undefined, tags: Tag[]): Promise<void> {
    const topic = this.#tagged(resourceArn);
    checkTags(tags);
    for (const tag of tags) {
      const index = topic.tags.findIndex((t) => t.Key === tag.Key);
      if (index >= 0) topic.tags[index] = tag;
      else topic.tags.push(tag);
    }
    if (topic.tags.length > MAX_TAGS)
      throw tagLimitExceeded('Could not complete request: tag quota of per resource exceeded');
    await this.#d.store.save();
  }

  async untagResource(resourceArn: string | undefined, keys: string[]): Promise<void> {
    const topic = this.#tagged(resourceArn);
    topic.tags = topic.tags.filter((t) => !keys.includes(t.Key));
    await this.#d.store.save();
  }
}

/** Tags as CreateTopic and TagResource accept them: distinct keys, AWS's lengths. */
export function checkTags(tags: Tag[]): void {
  const keys = new Set(tags.map((t) => t.Key));
  if (keys.size !== tags.length)
    throw invalidParameter('Invalid parameter: Duplicated keys are not allowed.');
  for (const tag of tags) {
    if (tag.Key.length === 0 || tag.Key.length > 128 || tag.Value.length > 256) {
      throw invalidParameter('Invalid parameter: Tags');
    }
  }
}
