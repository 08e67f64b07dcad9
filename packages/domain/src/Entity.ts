/**
 * The things OSINT modules consume and produce: typed values with one canonical form each,
 * so that "WWW.Example.COM." and "www.example.com" are the same entity, processed once.
 */
import { Either, Schema } from "effect"
import { hash } from "node:crypto"
import { isIPv4, isIPv6 } from "node:net"
import { domainToASCII } from "node:url"
import { ApiText, textProblem } from "./Text.js"
import { trusted } from "./Trusted.js"
import * as Wire from "./WirePatterns.js"

export const EntityType = Schema.Literal(
  "DOMAIN",
  "IP",
  "EMAIL",
  "URL",
  "USERNAME",
  "PHONE",
  "ASN",
  "NETBLOCK",
  "OPEN_PORT",
  "TECHNOLOGY",
  "ORGANIZATION",
  "BREACH",
  "VULNERABILITY",
  "CERTIFICATE",
  "CORRELATION"
)
export type EntityType = typeof EntityType.Type
export const entityTypes: ReadonlyArray<EntityType> = EntityType.literals

/** Text the stores can keep: free-text types (a username, an organization) would otherwise carry U+0000 through. */
export const EntityValue = ApiText({ min: 1, max: 2048 })

/**
 * What `/openapi.json` says a value of each type looks like: the API checks each value against its type (see
 * `canonicalize`), so a schema of one string for every type would promise what it refuses.
 */
const valuePatterns: Record<EntityType, { readonly pattern: string; readonly maxLength: number }> = {
  DOMAIN: { pattern: `${Wire.domain}\\.?`, maxLength: 254 },
  IP: { pattern: `${Wire.ipv4}|${Wire.ipv6}`, maxLength: 39 },
  EMAIL: { pattern: `[A-Za-z0-9._%+-]{1,64}@${Wire.domain}`, maxLength: 320 },
  URL: { pattern: Wire.httpUrl, maxLength: 2048 },
  USERNAME: { pattern: "[^\\s/\\\\\\u0000\\uD800-\\uDFFF]{1,128}", maxLength: 128 },
  PHONE: { pattern: "\\+?[1-9][0-9]{6,14}", maxLength: 16 },
  ASN: { pattern: "(?:AS|as)?[0-9]{1,9}", maxLength: 11 },
  NETBLOCK: {
    pattern: `${Wire.ipv4}/(?:3[0-2]|[12]?[0-9])|${Wire.ipv6}/(?:12[0-8]|1[01][0-9]|[1-9]?[0-9])`,
    maxLength: 43
  },
  OPEN_PORT: { pattern: `${Wire.ipv4}:${Wire.port}|\\[${Wire.ipv6}\\]:${Wire.port}`, maxLength: 47 },
  TECHNOLOGY: { pattern: Wire.freeText, maxLength: 256 },
  ORGANIZATION: { pattern: Wire.freeText, maxLength: 512 },
  BREACH: { pattern: Wire.freeText, maxLength: 256 },
  VULNERABILITY: { pattern: "[Cc][Vv][Ee]-[0-9]{4}-[0-9]{4,7}", maxLength: 17 },
  CERTIFICATE: { pattern: "[0-9A-Fa-f]{64}|[0-9A-Fa-f]{40}", maxLength: 64 },
  CORRELATION: { pattern: Wire.freeText, maxLength: 1024 }
}

const entityJsonSchema = {
  description: "A typed value; `value` must be a value of its `type` (stored in its canonical form)",
  oneOf: EntityType.literals.map((type) => ({
    type: "object",
    required: ["type", "value"],
    additionalProperties: false,
    properties: {
      type: { type: "string", enum: [type] },
      value: {
        type: "string",
        minLength: 1,
        maxLength: valuePatterns[type].maxLength,
        pattern: Wire.anchored(valuePatterns[type].pattern)
      }
    }
  }))
}

/** A target or a discovered entity, as on the wire: `{ "type": "DOMAIN", "value": "example.com" }`. */
export class Entity extends Schema.Class<Entity>("Entity")({
  type: EntityType,
  value: EntityValue
}, { jsonSchema: entityJsonSchema }) {}

/**
 * The part of a canonical value that identity rests on. A technology's name keeps the casing its first source wrote
 * ("WordPress 6.4") but "wordpress 6.4" from another source is the same technology.
 */
const identityOf = (type: EntityType, canonicalValue: string): string =>
  type === "TECHNOLOGY" ? canonicalValue.toLowerCase() : canonicalValue

/** The key under which an entity is deduplicated within a scan. */
export const entityKey = (entity: { readonly type: EntityType; readonly value: string }): string =>
  `${entity.type}:${identityOf(entity.type, entity.value)}`

/** `hash = sha256(data_type + canonical value)`, the dedup key of a result (case-folded for TECHNOLOGY). */
export const resultHash = (type: EntityType, canonicalValue: string): string =>
  hash("sha256", type + identityOf(type, canonicalValue), "hex")

/**
 * The dedup key of what a module adds to an entity it was given (a listing, a classification): one enrichment per
 * entity and module, kept beside the entity's own result rather than dropped as a repeat.
 */
export const enrichmentHash = (type: EntityType, canonicalValue: string, module: string): string =>
  hash("sha256", `enrichment\u0000${module}\u0000${resultHash(type, canonicalValue)}`, "hex")

const domainLabel = /^(?!-)[a-z0-9_-]{1,63}(?<!-)$/

/**
 * A name already canonical: lower-case ASCII labels, no trailing dot, at most 253 characters, a last label starting
 * with a letter (never an address, which the URL host parser would take it for) and no IDNA label, so `domainToASCII`
 * would give it back unchanged. Most of what modules find is written so; it skips the host parser.
 */
const plainCanonicalDomain = /^(?=.{1,253}$)(?:(?!-)[a-z0-9_-]{1,63}(?<!-)\.)+[a-z][a-z0-9_-]{0,62}(?<!-)$/

const canonicalDomain = (input: string): Either.Either<string, string> =>
  plainCanonicalDomain.test(input) && !input.includes("xn--") ? Either.right(input) : canonicalDomainOf(input)

/** A domain name's canonical form through the URL host parser: the definition, which the plain case must agree with. */
export const canonicalDomainOf = (input: string): Either.Either<string, string> => {
  const trimmed = input.trim().replace(/\.$/, "").toLowerCase()
  if (trimmed.length === 0) return Either.left("empty domain")
  // domainToASCII parses a URL host: it would cut "example.com/path" at the "/" and decode "%41"
  if (/[\s/\\?#%@:[\]]/.test(trimmed)) return Either.left(`not a domain name: ${input}`)
  const ascii = domainToASCII(trimmed)
  if (ascii === "" || ascii.length > 253) return Either.left(`not a domain name: ${input}`)
  const labels = ascii.split(".")
  if (labels.length < 2 || !labels.every((label) => domainLabel.test(label))) {
    return Either.left(`not a domain name: ${input}`)
  }
  if (/^[0-9]+$/.test(labels[labels.length - 1]!)) return Either.left(`not a domain name: ${input}`)
  return Either.right(ascii)
}

const expandIPv6 = (input: string): Array<number> => {
  let text = input
  const words: Array<number> = []
  const v4 = /(\d+\.\d+\.\d+\.\d+)$/.exec(text)
  if (v4) {
    const bytes = v4[1]!.split(".").map(Number)
    text = text.slice(0, v4.index) +
      `${((bytes[0]! << 8) | bytes[1]!).toString(16)}:${((bytes[2]! << 8) | bytes[3]!).toString(16)}`
  }
  const [head, tail] = text.split("::") as [string, string | undefined]
  const parse = (part: string) => (part === "" ? [] : part.split(":").map((w) => parseInt(w, 16)))
  const left = parse(head)
  const right = tail === undefined ? [] : parse(tail)
  words.push(...left, ...Array<number>(8 - left.length - right.length).fill(0), ...right)
  return words
}

/** RFC 5952 text form of an IPv6 address (IPv4-mapped ones in the mixed notation of its section 5). */
const compressIPv6 = (words: ReadonlyArray<number>): string => {
  if (words.slice(0, 5).every((w) => w === 0) && words[5] === 0xffff) {
    return `::ffff:${words[6]! >> 8}.${words[6]! & 0xff}.${words[7]! >> 8}.${words[7]! & 0xff}`
  }
  let bestStart = -1
  let bestLength = 0
  for (let i = 0; i < 8;) {
    if (words[i] !== 0) {
      i++
      continue
    }
    let j = i
    while (j < 8 && words[j] === 0) j++
    if (j - i > bestLength && j - i >= 2) {
      bestStart = i
      bestLength = j - i
    }
    i = j
  }
  const hex = words.map((w) => w.toString(16))
  if (bestStart < 0) return hex.join(":")
  return `${hex.slice(0, bestStart).join(":")}::${hex.slice(bestStart + bestLength).join(":")}`
}

const canonicalIp = (input: string): Either.Either<string, string> => {
  const text = input.trim().replace(/^\[(.*)\]$/, "$1")
  if (isIPv4(text)) return Either.right(text.split(".").map((octet) => String(Number(octet))).join("."))
  if (isIPv6(text) && !text.includes("%")) return Either.right(compressIPv6(expandIPv6(text.toLowerCase())))
  return Either.left(`not an IP address: ${input}`)
}

const canonicalEmail = (input: string): Either.Either<string, string> => {
  const text = input.trim().replace(/^mailto:/i, "")
  const at = text.lastIndexOf("@")
  if (at <= 0 || at > 64 || /[\s<>()[\]\\,;:"@]/.test(text.slice(0, at))) {
    return Either.left(`not an email address: ${input}`)
  }
  return Either.map(
    canonicalDomain(text.slice(at + 1)),
    (domain) => `${text.slice(0, at)}@${domain}`
  )
}

const canonicalUrl = (input: string): Either.Either<string, string> => {
  let url: URL
  try {
    url = new URL(input.trim())
  } catch {
    return Either.left(`not a URL: ${input}`)
  }
  if (url.protocol !== "http:" && url.protocol !== "https:") return Either.left(`not an http(s) URL: ${input}`)
  if (url.hostname === "") return Either.left(`not a URL: ${input}`)
  url.hash = ""
  url.username = ""
  url.password = ""
  const host = url.hostname.replace(/\.+$/, "")
  if (host === "") return Either.left(`not a URL: ${input}`)
  url.hostname = host
  return Either.right(url.toString())
}

const canonicalAsn = (input: string): Either.Either<string, string> => {
  const match = /^(?:AS)?\s*(\d{1,10})$/i.exec(input.trim())
  const number = match ? Number(match[1]) : NaN
  return Number.isInteger(number) && number >= 0 && number <= 4294967295
    ? Either.right(`AS${number}`)
    : Either.left(`not an AS number: ${input}`)
}

const canonicalNetblock = (input: string): Either.Either<string, string> => {
  const [address, bits, ...rest] = input.trim().split("/")
  if (address === undefined || bits === undefined || rest.length > 0 || !/^\d{1,3}$/.test(bits)) {
    return Either.left(`not a CIDR netblock: ${input}`)
  }
  return Either.flatMap(canonicalIp(address), (ip) => {
    const v6 = ip.includes(":")
    const prefix = Number(bits)
    if (prefix > (v6 ? 128 : 32)) return Either.left(`prefix too long: ${input}`)
    return Either.right(`${networkAddress(ip, v6, prefix)}/${prefix}`)
  })
}

/** The first address of the block: host bits cleared, so "10.1.2.3/8" and "10.0.0.0/8" are one netblock. */
const networkAddress = (ip: string, v6: boolean, prefix: number): string => {
  const mask = (words: ReadonlyArray<number>, width: number) =>
    words.map((word, i) => {
      const keep = Math.min(width, Math.max(0, prefix - i * width))
      return keep === 0 ? 0 : word & ~((1 << (width - keep)) - 1) & ((1 << width) - 1)
    })
  return v6
    ? compressIPv6(mask(expandIPv6(ip), 16))
    : mask(ip.split(".").map(Number), 8).join(".")
}

/**
 * E.164 (`+` and the country code) when written with `+`; a number written without one stays national digits, since
 * "0207946..." or "4155552671" says nothing about its country and inventing a `+` would make a wrong one up.
 */
const canonicalPhone = (input: string): Either.Either<string, string> => {
  const digits = input.replace(/[\s().-]/g, "")
  if (/^\+[1-9]\d{6,14}$/.test(digits)) return Either.right(digits)
  // "00" opens an international number in most of the world but not everywhere (011 in North America): not guessed.
  return /^(?!00)\d{7,15}$/.test(digits) ? Either.right(digits) : Either.left(`not a phone number: ${input}`)
}

const canonicalPort = (input: string): Either.Either<string, string> => {
  const match = /^(.*):(\d{1,5})$/.exec(input.trim())
  if (!match || Number(match[2]) < 1 || Number(match[2]) > 65535) return Either.left(`not host:port: ${input}`)
  // An IPv6 address must be bracketed: in "::1:443" the port could as well be the address's last word.
  if (match[1]!.includes(":") && !/^\[.*\]$/.test(match[1]!)) return Either.left(`not host:port: ${input}`)
  return Either.map(
    canonicalIp(match[1]!),
    (ip) => (ip.includes(":") ? `[${ip}]:${Number(match[2])}` : `${ip}:${Number(match[2])}`)
  )
}

const canonicalText = (max: number) => (input: string): Either.Either<string, string> => {
  const text = input.trim().replace(/\s+/g, " ")
  return text.length > 0 && text.length <= max ? Either.right(text) : Either.left(`must be 1-${max} characters`)
}

/** A CVE id, upper case: `cve-2021-44228` is `CVE-2021-44228`. */
const canonicalVulnerability = (input: string): Either.Either<string, string> => {
  const match = /^cve[-_ ](\d{4})[-_ ](\d{4,7})$/i.exec(input.trim())
  return match ? Either.right(`CVE-${match[1]}-${match[2]}`) : Either.left(`not a CVE id: ${input}`)
}

/** A certificate's SHA-256 (or SHA-1) fingerprint as lower-case hex, separators and `sha256:` prefix dropped. */
const canonicalCertificate = (input: string): Either.Either<string, string> => {
  const hex = input.trim().replace(/^sha(?:-?256|-?1)[:=]/i, "").replace(/[\s:]/g, "").toLowerCase()
  return /^(?:[0-9a-f]{64}|[0-9a-f]{40})$/.test(hex)
    ? Either.right(hex)
    : Either.left(`not a SHA-256 or SHA-1 certificate fingerprint: ${input}`)
}

const canonicalizers: Record<EntityType, (input: string) => Either.Either<string, string>> = {
  DOMAIN: canonicalDomain,
  IP: canonicalIp,
  EMAIL: canonicalEmail,
  URL: canonicalUrl,
  USERNAME: (input) =>
    /^[^\s/\\]{1,128}$/.test(input.trim()) ? Either.right(input.trim()) : Either.left(`not a username: ${input}`),
  PHONE: canonicalPhone,
  ASN: canonicalAsn,
  NETBLOCK: canonicalNetblock,
  OPEN_PORT: canonicalPort,
  TECHNOLOGY: canonicalText(256),
  ORGANIZATION: canonicalText(512),
  BREACH: canonicalText(256),
  VULNERABILITY: canonicalVulnerability,
  CERTIFICATE: canonicalCertificate,
  // A correlation rule's finding: its headline. Only the correlation engine makes them, never a module or a target.
  CORRELATION: canonicalText(1024)
}

/** The canonical form of a value of the given type, or why it is not one. */
export const canonicalize = (type: EntityType, value: string): Either.Either<string, string> =>
  canonicalizers[type](value)

const maxValueLength = 2048

/** The entities `normalizeEntity` built: canonical already, each normalizes to itself. */
const built = new WeakSet<object>()

/**
 * The canonical entity, or why the value is not of its type. The checks are those of the `Entity` schema (a known
 * type, a value of 1 to 2048 characters the stores can keep), so the instance is built without validating it a second
 * time: modules' findings all pass through here (their unstorable characters replaced first, see Findings.admit).
 */
export const normalizeEntity = (
  entity: { readonly type: EntityType; readonly value: string }
): Either.Either<Entity, string> => {
  // Canonicalization is idempotent (a property test says so): an entity built here is given back as it is.
  if (built.has(entity)) return Either.right(entity as Entity)
  const canonicalizer = Object.hasOwn(canonicalizers, entity.type) ? canonicalizers[entity.type] : undefined
  if (canonicalizer === undefined) return Either.left(`not an entity type: ${String(entity.type)}`)
  return Either.flatMap(
    canonicalizer(entity.value),
    (value) => {
      if (value.length === 0 || value.length > maxValueLength) {
        return Either.left(`must be 1-${maxValueLength} characters once canonical`)
      }
      const problem = textProblem(value)
      if (problem !== undefined) return Either.left(problem)
      const canonical = trusted(Entity, { type: entity.type, value })
      built.add(canonical)
      return Either.right(canonical)
    }
  )
}
