/**
 * Hashtags in a caption: `#` followed by letters, digits, marks or underscores (TikTok's tags are Unicode),
 * lower-cased, without the `#`, each once, in order of first use. `#1` after a word (“part #1”) is a number,
 * not a tag: a tag needs at least one letter.
 */
const HASHTAG = /(?:^|[^\p{L}\p{N}_&])#([\p{L}\p{M}\p{N}_]{1,100})/gu;

export function hashtagsOf(caption: string | undefined): string[] {
  if (!caption) return [];
  const tags: string[] = [];
  for (const match of caption.matchAll(HASHTAG)) {
    const tag = (match[1] ?? '').toLocaleLowerCase('en-US');
    if (!/\p{L}/u.test(tag) || tags.includes(tag)) continue;
    tags.push(tag);
  }
  return tags;
}
