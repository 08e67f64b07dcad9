/**
 * Regular expressions (JSON Schema `pattern` sources, anchored) that document in `/openapi.json` what the API's own
 * checks accept where a schema alone cannot say it: a domain name, an address, an http(s) URL, an entity's value of
 * each type. Each describes values the API accepts (a client generating from it is never refused); where the API's
 * rule is not a regular language (IDNs, every textual IPv6 form) the pattern is the common subset.
 */

/** What no stored text may hold: U+0000 and UTF-16 surrogates (only a pair is storable; patterns leave both out). */
const storable = "\\u0000\\uD800-\\uDFFF"

const label = "[A-Za-z0-9_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"
/** A top-level label that is not all digits. */
const topLabel = "[A-Za-z_](?:[A-Za-z0-9_-]{0,61}[A-Za-z0-9_])?"

/** A host name of two to five labels, the last not numeric (an ASCII name; IDNs are accepted too, not described). */
export const domain = `(?:${label}\\.){1,4}${topLabel}`

const octet = "(?:25[0-5]|2[0-4][0-9]|1[0-9]{2}|[1-9]?[0-9])"
export const ipv4 = `${octet}(?:\\.${octet}){3}`
/** The full form of an IPv6 address (the compressed forms are accepted too, not described). */
export const ipv6 = "(?:[0-9A-Fa-f]{1,4}:){7}[0-9A-Fa-f]{1,4}"
export const port = "(?:6553[0-5]|655[0-2][0-9]|65[0-4][0-9]{2}|6[0-4][0-9]{3}|[1-5][0-9]{4}|[1-9][0-9]{0,3})"

/** An http(s) URL: a host (name, IPv4, bracketed IPv6), an optional port, then any path, query and fragment. */
export const httpUrl = `https?://(?:${domain}|${ipv4}|\\[${ipv6}\\])(?::${port})?(?:[/?#][^\\s${storable}]*)?`

/**
 * Whether a text is an absolute http(s) URL without white space, as the WHATWG URL parser (and so a sender) reads it:
 * the check behind every URL the API takes (scan webhooks, alert channels), which `httpUrl` describes.
 */
export const isHttpUrl = (text: string): boolean => {
  if (!/^https?:\/\/\S+$/.test(text)) return false
  try {
    const url = new URL(text)
    return url.protocol === "http:" || url.protocol === "https:"
  } catch {
    return false
  }
}

/** Free text as the API keeps it: no leading or trailing space, nothing unstorable. */
export const freeText = `[^\\s${storable}](?:[^${storable}]*[^\\s${storable}])?`

/** `^…$` around a pattern source. */
export const anchored = (source: string): string => `^(?:${source})$`
