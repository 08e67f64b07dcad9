/**
 * How a source pages: after each page, where the next one is — more query parameters on the first
 * request (`after=<last id>`, a cursor, a page number, an offset), or a URL the source gave
 * (`links.next`) — or nothing, which ends the listing.
 */
import { Option, Predicate } from "effect"
import type { Query } from "./Request.js"

export type PagePointer =
  | { readonly _tag: "Query"; readonly query: Query }
  | { readonly _tag: "Url"; readonly url: string }

export interface PageSeen<Body, Row> {
  readonly body: Body
  /** The rows that decoded. */
  readonly rows: ReadonlyArray<Row>
  /** How many rows the page held, decodable or not: a short page is the last. */
  readonly size: number
  /** 0 for the first page. */
  readonly index: number
  /** The answer's headers (lower-case names), for sources that page in them (`Link`). */
  readonly headers: Readonly<Record<string, string>>
}

export interface Paging<Body, Row> {
  readonly next: (page: PageSeen<Body, Row>) => Option.Option<PagePointer>
}

const query = (q: Query): Option.Option<PagePointer> => Option.some({ _tag: "Query", query: q })
const present = (value: unknown): value is string | number =>
  (typeof value === "string" && value !== "") || typeof value === "number"

/** One request, no paging. */
export const none: Paging<unknown, unknown> = { next: () => Option.none() }

/** `param=<id of the page's last row>` until a page is empty (Cert Spotter's `after`). */
export const afterLastId = <Row>(param: string, id: (row: Row) => string | undefined): Paging<unknown, Row> => ({
  next: (page) => {
    // The last row that has an id: a row without one still counts, but cannot be paged after.
    const value = page.rows.map(id).filter((candidate) => candidate !== undefined).pop()
    return page.size > 0 && value !== undefined ? query({ [param]: value }) : Option.none()
  }
})

/** `param=<the page's last row's field>` until a page is empty: `afterLast("after", "id")`. */
export const afterLast = (param: string, field: string): Paging<unknown, unknown> =>
  afterLastId(param, (row: unknown) => {
    const value = Predicate.isRecord(row) ? row[field] : undefined
    return present(value) ? String(value) : undefined
  })

/** `param=<cursor the page gave>` while the page gives one (a `next_cursor`, `scroll_id`, `search_after`…). */
export const cursor = <Body>(param: string, read: (body: Body) => unknown): Paging<Body, unknown> => ({
  next: (page) => {
    const value = read(page.body)
    return page.size > 0 && present(value) ? query({ [param]: value }) : Option.none()
  }
})

/** The URL the page names as the next (`links.next`, `next`, `@odata.nextLink`), relative ones resolved. */
export const nextLink = <Body>(read: (body: Body) => unknown): Paging<Body, unknown> => ({
  next: (page) => {
    const value = read(page.body)
    return page.size > 0 && typeof value === "string" && value !== ""
      ? Option.some({ _tag: "Url", url: value })
      : Option.none()
  }
})

/** `param=start+1, start+2…` until a page is empty or shorter than `size` (when the page size is known). */
export const pageNumber = (param: string, options: { readonly start?: number; readonly size?: number } = {}) => ({
  next: (page: PageSeen<unknown, unknown>): Option.Option<PagePointer> =>
    page.size === 0 || (options.size !== undefined && page.size < options.size)
      ? Option.none()
      : query({ [param]: (options.start ?? 1) + page.index + 1 })
})

/** `param=size, 2·size…` until a page is shorter than `size`. */
export const offset = (param: string, size: number) => ({
  next: (page: PageSeen<unknown, unknown>): Option.Option<PagePointer> =>
    page.size < size ? Option.none() : query({ [param]: (page.index + 1) * size })
})

/** `param=start+1, start+2…` while the page says there is more (`more: true`, a total not yet reached). */
export const pageNumberWhile = <Body>(
  param: string,
  more: (page: PageSeen<Body, unknown>) => boolean,
  start = 1
): Paging<Body, unknown> => ({
  next: (page) => (page.size > 0 && more(page) ? query({ [param]: start + page.index + 1 }) : Option.none())
})

/** The `rel="next"` target of an RFC 8288 `Link` header (GitHub's paging), if the page has one. */
export const linkTarget = (header: string | undefined, rel = "next"): string | undefined => {
  for (const part of (header ?? "").split(",")) {
    const match = /<([^>]*)>\s*;(.*)$/.exec(part.trim())
    if (match !== null && new RegExp(`rel="?[^"]*\\b${rel}\\b`).test(match[2]!)) return match[1]
  }
  return undefined
}

/** The URL the `Link` header names as `rel="next"`, while the page has rows. */
export const linkNext: Paging<unknown, unknown> = {
  next: (page) => {
    const url = linkTarget(page.headers["link"])
    return page.size > 0 && url !== undefined && url !== "" ? Option.some({ _tag: "Url", url }) : Option.none()
  }
}

/** `param=<the header's value>` while the page names its successor in a header (GitLab's `X-Next-Page`). */
export const headerPage = (header: string, param: string): Paging<unknown, unknown> => ({
  next: (page) => {
    const value = (page.headers[header.toLowerCase()] ?? "").trim()
    return page.size > 0 && /^\d+$/.test(value) ? query({ [param]: Number(value) }) : Option.none()
  }
})
