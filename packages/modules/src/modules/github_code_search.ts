/**
 * github_code_search: public code that mentions a domain, from GitHub's code search
 * (`GET {base}/search/code?q="{domain}"`, `Authorization: Bearer`): the files' URLs, and the
 * names and email addresses on the domain in the matched fragments (`text_matches`, asked
 * for with the `application/vnd.github.text-match+json` media type). Items are read one by one (an odd
 * one skipped and counted); pages follow while the `Link` header names a next one, and a page failing
 * after others keeps what they found.
 */
import { Option, Schema } from "effect"
import { githubRateLimit } from "../internal/GithubRateLimit.js"
import { maxPagesField, pagedApi } from "../kinds/PagedApi.js"
import { Auth, Formats } from "../kinds/Request.js"
import * as Rows from "../kinds/Rows.js"
import { finding } from "../Module.js"
import type { Finding } from "../Module.js"
import { inScope } from "../Scope.js"

const text = Schema.optionalWith(Rows.Stringish, { exact: true, nullable: true })

/** A matched fragment; one without text is read as empty. */
const TextMatch = Schema.Struct({ fragment: Schema.optionalWith(Schema.String, { default: () => "", nullable: true }) })

export const CodeItem = Schema.Struct({
  html_url: Schema.String,
  path: text,
  repository: Schema.optionalWith(Schema.Struct({ full_name: text }), { exact: true, nullable: true }),
  /** Read item by item (see `fragmentsOf`): an odd match does not cost the file. */
  text_matches: Schema.optionalWith(Schema.Unknown, { exact: true })
})
export type CodeItem = typeof CodeItem.Type

/** The fragments of an item's matches that read. */
const fragmentsOf = (item: CodeItem): ReadonlyArray<string> =>
  Rows.list(item.text_matches, TextMatch, "text_matches").rows.map((match) => match.fragment)

export const GithubCodeSearchConfig = Schema.Struct({
  /** Result pages fetched at most (code search allows 10 requests a minute). */
  max_pages: maxPagesField(1, 10),
  per_page: Schema.optionalWith(Schema.Int.pipe(Schema.between(1, 100)), { default: () => 100, exact: true }),
  /** Ask for the matched fragments and report the names and emails in them. */
  text_matches: Schema.optionalWith(Schema.Boolean, { default: () => true, exact: true })
})
export type GithubCodeSearchConfig = typeof GithubCodeSearchConfig.Type

const hostPattern = /(?<![a-z0-9_@.-])(?:[a-z0-9](?:[a-z0-9_-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{1,62}(?![a-z0-9_-])/gi
const emailPattern = /[a-z0-9._%+-]+@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}/gi

export const extractFindings = (
  items: ReadonlyArray<CodeItem>,
  domain: string
): ReadonlyArray<Finding> => {
  const found = new Map<string, { readonly finding: Finding; readonly files: Set<string> }>()
  const add = (item: Option.Option<Finding>, file: string) => {
    if (Option.isNone(item)) return
    const key = `${item.value.type}:${item.value.value}`
    const entry = found.get(key) ?? { finding: item.value, files: new Set<string>() }
    entry.files.add(file)
    found.set(key, entry)
  }
  for (const item of items) {
    const repository = item.repository?.full_name ?? null
    add(
      finding("URL", item.html_url, { confidence: 0.9, metadata: { repository, path: item.path ?? null } }),
      item.html_url
    )
    for (const fragment of fragmentsOf(item)) {
      for (const [email] of fragment.matchAll(emailPattern)) {
        const parsed = finding("EMAIL", email, { confidence: 0.6, metadata: { repository } })
        if (
          Option.isSome(parsed) && inScope(parsed.value.value.slice(parsed.value.value.lastIndexOf("@") + 1), domain)
        ) {
          add(parsed, item.html_url)
        }
      }
      for (const [host] of fragment.replace(emailPattern, " ").matchAll(hostPattern)) {
        const parsed = finding("DOMAIN", host, { confidence: 0.6, metadata: { repository } })
        if (Option.isSome(parsed) && inScope(parsed.value.value, domain)) add(parsed, item.html_url)
      }
    }
  }
  return Array.from(found.values())
    .map(({ finding, files }): Finding => ({ ...finding, source_data: { files: Array.from(files).slice(0, 10) } }))
    .sort((a, b) => (a.type === b.type ? a.value.localeCompare(b.value) : a.type.localeCompare(b.type)))
}

export const githubCodeSearch = pagedApi({
  name: "github_code_search",
  description: "Finds public code mentioning a domain on GitHub, with the names and emails in it",
  version: "1.1.0",
  input_types: ["DOMAIN"],
  output_types: ["URL", "DOMAIN", "EMAIL"],
  flags: ["passive", "safe"],
  config: GithubCodeSearchConfig,
  source: {
    id: "github",
    name: "GitHub code search",
    baseUrl: "https://api.github.com",
    // Code search allows 10 requests a minute per token.
    rateLimit: { requests: 10, perSeconds: 60 },
    requiresKey: true,
    proxy: true
  },
  auth: Auth.bearer,
  format: Formats.json,
  request: (target, config) => ({
    path: "/search/code",
    query: { q: `"${target.value}"`, per_page: config.per_page, page: 1 },
    headers: {
      accept: config.text_matches ? "application/vnd.github.text-match+json" : "application/vnd.github+json",
      "x-github-api-version": "2022-11-28"
    }
  }),
  failure: githubRateLimit,
  rows: (body) => {
    const items = Rows.at(body, "items")
    return Array.isArray(items) ? items : undefined
  },
  row: CodeItem,
  // The page number, while the Link header names a next page (its URL would drop the media type).
  paging: {
    next: (page) =>
      /rel="next"/.test(page.headers["link"] ?? "")
        ? Option.some({ _tag: "Query", query: { page: page.index + 2 } })
        : Option.none()
  },
  maxPages: (config) => config.max_pages,
  findings: (items, target) => extractFindings(items, target.value)
})
