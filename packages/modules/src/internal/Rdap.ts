/**
 * What the RDAP modules share (RFC 9082/9083): the source, GETs that follow the bootstrap's
 * redirects, the `related` links to a registrar's fuller record, and contacts read from the entity
 * tree and its jCards (RFC 7095) tolerantly: an entity or a vCard property of an odd shape is
 * skipped, not the answer.
 */
import { Effect, Option, Predicate, Schema } from "effect"
import * as Rows from "../kinds/Rows.js"
import { BadResponse, expectOk, type HttpClient, type HttpResponse } from "../Module.js"

export const rdapSource = {
  id: "rdap",
  name: "RDAP (rdap.org bootstrap and the registries' servers)",
  baseUrl: "https://rdap.org",
  // rdap.org asks for at most 10 queries in 10 seconds; registries are stricter in bursts.
  rateLimit: { requests: 10, perSeconds: 10, burst: 2 },
  requiresKey: false,
  proxy: true
}

/** An RDAP answer's URL and body, once redirects are followed. */
export interface RdapAnswer {
  readonly url: string
  readonly response: HttpResponse
}

/**
 * GETs an RDAP URL, following redirects (the rdap.org bootstrap answers 302 to the registry's
 * server); 404 is `None`, any other failure the usual module error.
 */
export const rdapGet = (http: HttpClient, url: string) =>
  Effect.gen(function*() {
    let current = url
    for (let hop = 0; hop <= 3; hop++) {
      const response: HttpResponse = yield* http.get(current, {
        headers: { accept: "application/rdap+json, application/json" }
      })
      const location = response.headers["location"]
      if (response.status >= 300 && response.status < 400 && location !== undefined) {
        if (!URL.canParse(location, current)) {
          return yield* new BadResponse({ reason: "RDAP redirect to an invalid location", status: response.status })
        }
        current = new URL(location, current).toString()
        continue
      }
      if (response.status === 404) return Option.none<RdapAnswer>()
      return Option.some<RdapAnswer>({ url: current, response: yield* expectOk(response) })
    }
    return yield* new BadResponse({ reason: "RDAP: too many redirects" })
  })

const Link = Schema.Struct({
  rel: Schema.String,
  href: Schema.String,
  type: Schema.optionalWith(Schema.String, { exact: true })
})

/**
 * The `related` RDAP links of an object (a registry points to the registrar's server, which holds
 * the fuller record), resolved against the answer's URL; links to other media types are left out.
 */
export const relatedLinks = (object: unknown, base: string): ReadonlyArray<string> =>
  Rows.list(Predicate.isRecord(object) ? object["links"] : undefined, Link, "links").rows.flatMap((link) =>
    link.rel.toLowerCase() === "related" && (link.type === undefined || /rdap\+json/i.test(link.type)) &&
      URL.canParse(link.href, base) && link.href !== base
      ? [new URL(link.href, base).toString()]
      : []
  )

/** Registries replace personal data with placeholders under GDPR: those are not findings. */
const redacted = /redacted|privacy|withheld|not disclosed|data protected|query the rdds/i

const present = (text: string) => text.trim() !== "" && !redacted.test(text)

/** One jCard property: `[name, parameters, type, value…]`. */
const VcardProperty = Schema.Tuple([Schema.String, Schema.Unknown, Schema.Unknown], Schema.Unknown)
type VcardProperty = typeof VcardProperty.Type

/** A structured value's components, flattened (`adr`, `org`, `n`), or the one text value. */
const components = (value: unknown): ReadonlyArray<string> =>
  typeof value === "string" ? [value] : Array.isArray(value) ? value.flatMap(components) : []

/** What a jCard says about who it describes; every property of a kind is read, not only the first. */
export interface Card {
  readonly kind: string | undefined
  readonly names: ReadonlyArray<string>
  readonly organizations: ReadonlyArray<string>
  readonly emails: ReadonlyArray<string>
  readonly phones: ReadonlyArray<string>
  readonly addresses: ReadonlyArray<string>
}

const emptyCard: Card = { kind: undefined, names: [], organizations: [], emails: [], phones: [], addresses: [] }

/** `tel:+1.5555551234;ext=12` or `+1 555 555 1234` as the number alone. */
const phoneOf = (text: string) => text.replace(/^tel:/i, "").replace(/;.*$/, "").trim()

/** An `adr`: its `label` parameter when given (the address as written), else its components joined. */
const addressOf = (property: VcardProperty, values: ReadonlyArray<unknown>) => {
  const label = Predicate.isRecord(property[1]) ? property[1]["label"] : undefined
  if (typeof label === "string" && present(label)) return label.replace(/\s*\n\s*/g, ", ").trim()
  return components(values).map((part) => part.trim()).filter((part) => part !== "").join(", ")
}

/** A `vcardArray` read property by property: an odd property is skipped. */
export const readCard = (vcardArray: unknown): Card => {
  if (!Array.isArray(vcardArray) || vcardArray[0] !== "vcard") return emptyCard
  const properties = Rows.list(vcardArray[1], VcardProperty, "vcard").rows
  const values = (name: string) =>
    properties.filter((property) => property[0].toLowerCase() === name).map((property) => ({
      property,
      values: property.slice(3)
    }))
  const texts = (name: string, first = false) =>
    values(name).flatMap(({ values }) => (first ? components(values).slice(0, 1) : components(values)))
      .map((text) => text.trim()).filter(present)
  return {
    kind: texts("kind")[0]?.toLowerCase(),
    names: texts("fn"),
    // `org` may be structured (organization, unit…): the organization is its first component.
    organizations: texts("org", true),
    emails: texts("email"),
    phones: texts("tel").map(phoneOf),
    addresses: values("adr").map(({ property, values }) => addressOf(property, values)).filter(present)
  }
}

export interface Contact {
  readonly handle: string | undefined
  readonly roles: ReadonlyArray<string>
  /** The organization it names, or its name when it is an organization holding the object. */
  readonly organization: string | undefined
  readonly name: string | undefined
  readonly emails: ReadonlyArray<string>
  readonly phones: ReadonlyArray<string>
  readonly address: string | undefined
}

const Entity = Schema.Struct({
  handle: Schema.optionalWith(Rows.Stringish, { exact: true, nullable: true }),
  roles: Schema.optionalWith(Rows.OneOrMany(Schema.String), { exact: true, nullable: true }),
  vcardArray: Schema.optionalWith(Schema.Unknown, { exact: true }),
  entities: Schema.optionalWith(Schema.Unknown, { exact: true })
})

/** The entity list of an RDAP object, entities that do not read counted in `skipped`. */
export const entitiesOf = (object: unknown) =>
  Rows.list(Predicate.isRecord(object) ? object["entities"] : undefined, Entity, "entities")

/**
 * Every contact in the entity tree, depth first; entities under a skipped role are skipped with it.
 * `onSkipped` hears of nested entities that did not read.
 */
export const contacts = (
  entities: ReadonlyArray<typeof Entity.Type>,
  skip: (roles: ReadonlyArray<string>) => boolean,
  onSkipped: (reason: string, count: number) => void = () => {}
): ReadonlyArray<Contact> =>
  entities.flatMap((entity) => {
    const roles = (entity.roles ?? []).map((role) => role.toLowerCase())
    if (skip(roles)) return []
    const card = readCard(entity.vcardArray)
    // An abuse desk or a NOC is "kind: org" too, but names a function, not who holds the resource.
    const holder = card.kind === "org" && roles.some((role) => role === "registrant" || role === "registrar")
    const nested = entitiesOf(entity)
    if (nested.reason !== undefined) onSkipped(nested.reason, nested.skipped)
    const own: Contact = {
      handle: entity.handle,
      roles,
      organization: card.organizations[0] ?? (holder ? card.names[0] : undefined),
      name: card.names[0],
      emails: card.emails,
      phones: card.phones,
      address: card.addresses[0]
    }
    return [own, ...contacts(nested.rows, skip, onSkipped)]
  })
