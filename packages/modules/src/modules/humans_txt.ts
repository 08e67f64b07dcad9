/**
 * humans_txt: the people behind a site from its humans.txt (humanstxt.org), fetched through the
 * HTTP client (scope guard, `web` rate limit) at `/humans.txt`. The file is free text by convention:
 * `/* TEAM *\/` sections of `Field: value` lines. Addresses on the domain (also written
 * `name [at] domain [dot] tld`) become EMAIL findings, handles of known networks (`Twitter: @jane`,
 * `GitHub: jane`) USERNAME findings, links on the domain URL findings; the file itself is a URL
 * finding carrying its sections. An HTML answer (a soft 404) or another site's file is no file.
 */
import { Effect, Option, Ref, Schema } from "effect"
import { uniqueBy } from "../internal/Unique.js"
import { baseUrlField, emailsIn, fetchFollowing, scopeDomainOf, webSource } from "../internal/Web.js"
import { headerFields } from "../kinds/PagedApi.js"
import { countedSession, defineModule, expectOk, type Finding, finding, targetValue } from "../Module.js"
import { inScope } from "../Scope.js"

export const HumansTxtConfig = Schema.Struct({
  max_redirects: Schema.optionalWith(Schema.Int.pipe(Schema.between(0, 10)), { default: () => 3, exact: true }),
  base_url: baseUrlField
})
export type HumansTxtConfig = typeof HumansTxtConfig.Type

export interface Section {
  /** In upper case, as written between `/*` and `*\/`; `""` before the first heading. */
  readonly name: string
  readonly fields: ReadonlyArray<{ readonly name: string; readonly value: string }>
}

/** The file's sections and their `Field: value` lines; anything else (prose, art) is left out. */
export const parseHumansTxt = (text: string): ReadonlyArray<Section> => {
  const sections: Array<{ name: string; fields: Array<{ name: string; value: string }> }> = [{ name: "", fields: [] }]
  for (const raw of text.slice(0, 64_000).split(/\r?\n/)) {
    const line = raw.trim()
    const heading = /^\/\*\s*(.*?)\s*\*\/$/.exec(line)
    if (heading !== null) {
      sections.push({ name: heading[1]!.toUpperCase(), fields: [] })
      continue
    }
    const field = /^([\p{L}][\p{L}\p{N} ._/-]{0,40}?)\s*:\s*(\S.*)$/u.exec(line)
    if (field !== null) sections[sections.length - 1]!.fields.push({ name: field[1]!.trim(), value: field[2]!.trim() })
  }
  return sections.filter((section) => section.name !== "" || section.fields.length > 0)
}

/** `jane [at] example [dot] com`, `jane(at)example.com`: the address written out. */
export const deobfuscate = (text: string): string =>
  text
    .replace(/\s*[[({<]\s*at\s*[\])}>]\s*/gi, "@")
    .replace(/\s*[[({<]\s*dot\s*[\])}>]\s*/gi, ".")

/** Networks whose handle a field names, and how a handle on them is written. */
const networks: ReadonlyArray<{ readonly field: RegExp; readonly service: string; readonly host: RegExp }> = [
  { field: /^(twitter|x)$/i, service: "twitter", host: /^(www\.)?(twitter|x)\.com$/i },
  { field: /^github$/i, service: "github", host: /^(www\.)?github\.com$/i },
  { field: /^gitlab$/i, service: "gitlab", host: /^(www\.)?gitlab\.com$/i },
  { field: /^(mastodon|fediverse)$/i, service: "mastodon", host: /^$/ },
  { field: /^linkedin$/i, service: "linkedin", host: /^(www\.)?linkedin\.com$/i },
  { field: /^instagram$/i, service: "instagram", host: /^(www\.)?instagram\.com$/i }
]

/** The handle in a field's value: `@jane`, `jane`, `https://github.com/jane`, `@jane@social.example`. */
export const handleOf = (value: string, host: RegExp): string | undefined => {
  const text = value.trim()
  if (URL.canParse(text)) {
    const url = new URL(text)
    if (!host.test(url.hostname)) return undefined
    const segments = url.pathname.split("/").filter((segment) => segment !== "")
    const last = segments[0] === "in" ? segments[1] : segments[0]
    return last === undefined ? undefined : last.replace(/^@/, "")
  }
  const handle = /^@?([A-Za-z0-9_.-]{1,64})(@[A-Za-z0-9.-]+)?$/.exec(text)
  return handle === null ? undefined : `${handle[1]}${handle[2] ?? ""}`
}

/** What the file names, in order: each at most once. */
export const findingsOf = (sections: ReadonlyArray<Section>, domain: string, file: string): ReadonlyArray<Finding> => {
  const out: Array<Finding> = []
  const add = (item: Option.Option<Finding>) => out.push(...Option.toArray(item))
  for (const section of sections) {
    // The person a field belongs to: the last name-like field above it in the section.
    let person: string | undefined
    for (const field of section.fields) {
      if (
        /^(name|developer|designer|author|ceo|cto|founder|chef|lead|.*(developer|designer|engineer|manager))$/i.test(
          field.name
        )
      ) {
        person = field.value
      }
      const context = {
        humans_txt: file,
        section: section.name,
        field: field.name,
        ...(person === undefined ? {} : { person })
      }
      for (const email of emailsIn(deobfuscate(field.value))) {
        if (inScope(email.slice(email.lastIndexOf("@") + 1), domain)) {
          add(finding("EMAIL", email, { confidence: 0.85, metadata: context }))
        }
      }
      const network = networks.find((known) => known.field.test(field.name))
      const handle = network === undefined ? undefined : handleOf(field.value, network.host)
      if (network !== undefined && handle !== undefined) {
        add(finding("USERNAME", handle, { confidence: 0.75, metadata: { ...context, service: network.service } }))
      }
      for (const link of field.value.match(/https?:\/\/[^\s<>"')]+/g) ?? []) {
        if (URL.canParse(link) && inScope(new URL(link).hostname, domain)) {
          add(finding("URL", link, { confidence: 0.8, metadata: context }))
        }
      }
    }
  }
  return uniqueBy(out, (item) => `${item.type}:${item.value}`)
}

/** A text answer with a section heading or a field: an HTML page served for any path is not a humans.txt. */
const isHumansTxt = (status: number, type: string | undefined, body: string) =>
  status === 200 && !/html/i.test(type ?? "") && !/^\s*</.test(body) &&
  /(\/\*.*\*\/|^\s*[\p{L}][^:\n]{0,40}:)/mu.test(body)

export const humansTxt = defineModule({
  ...headerFields({
    name: "humans_txt",
    title: "humans.txt",
    description: "Reads a site's humans.txt for the people behind it: their addresses, handles and links",
    flags: ["active", "safe"],
    config: HumansTxtConfig,
    input_types: ["DOMAIN"],
    output_types: ["EMAIL", "USERNAME", "URL"]
  }),
  source: webSource,
  setup: countedSession<HumansTxtConfig>("humans_txt", "fetches"),
  collect: (session, task) =>
    Effect.gen(function*() {
      const domain = yield* targetValue("humans_txt", task, "DOMAIN")
      yield* Ref.update(session.count, (n) => n + 1)
      const { response, url } = yield* fetchFollowing(session.http, new URL(`https://${domain}/humans.txt`), {
        baseUrl: session.config.base_url,
        maxRedirects: session.config.max_redirects
      })
      // 429 and 5xx are worth retrying; any other answer that is not a file means there is none.
      if (response.status === 429 || response.status >= 500) yield* expectOk(response)
      const scope = scopeDomainOf(domain)
      if (
        !inScope(url.hostname, scope) || !isHumansTxt(response.status, response.headers["content-type"], response.body)
      ) {
        return []
      }
      const sections = parseHumansTxt(response.body)
      const file = url.href
      const summary = finding("URL", file, {
        confidence: 1,
        source_data: { sections },
        metadata: { humans_txt: true, sections: sections.map((section) => section.name).filter((name) => name !== "") }
      })
      const found = findingsOf(sections, scope, file)
      yield* session.log("humans_txt read", { domain, file, sections: sections.length, findings: found.length })
      return [...Option.toArray(summary), ...found]
    })
})
