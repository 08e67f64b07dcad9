/**
 * The one test every module makes of a name against its target's domain: the domain itself or a
 * name below it, label by label (`notexample.com` is not under `example.com`), whatever the case or
 * a trailing dot.
 */

const bare = (name: string) => name.trim().toLowerCase().replace(/\.$/, "")

/** Whether `name` is `domain` or a name below it. */
export const inScope = (name: string, domain: string): boolean => {
  const host = bare(name)
  const zone = bare(domain)
  return zone !== "" && (host === zone || host.endsWith(`.${zone}`))
}
