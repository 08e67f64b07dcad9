/** Keeping one of each: what the modules use instead of `Array.dedupe`/`dedupeWith`. */

/**
 * The items whose key was not seen before, in order, the first of each kept. A Set of keys, so
 * linear: `Array.dedupeWith` compares each item with every kept one, quadratic on large answers.
 */
export const uniqueBy = <A>(items: Iterable<A>, key: (item: A) => string): Array<A> => {
  const seen = new Set<string>()
  const kept: Array<A> = []
  for (const item of items) {
    const k = key(item)
    if (seen.has(k)) continue
    seen.add(k)
    kept.push(item)
  }
  return kept
}
