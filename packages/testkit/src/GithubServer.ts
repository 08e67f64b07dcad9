/**
 * An HTTP server that answers like GitHub's code search (`/search/code?q=…&per_page=…&page=…`,
 * `Authorization: Bearer …`), with `text_matches` when asked for through
 * `application/vnd.github.text-match+json`, `Link` paging, 401 `Bad credentials`, and the
 * primary rate limit's 403 with `x-ratelimit-remaining: 0` and `x-ratelimit-reset`.
 */
import type { Effect, Scope } from "effect"
import * as HttpFixture from "./HttpFixture.js"

/** A file in a public repository. */
export interface CodeFile {
  readonly repository: string
  readonly path: string
  readonly sha: string
  readonly content: string
}

export interface GithubOptions {
  readonly token: string
  /** Searches allowed before the primary rate limit answers, and when it resets (epoch seconds). */
  readonly searchQuota?: { readonly limit: number; readonly resetAt: number }
}

const problem = (status: number, message: string, headers: Readonly<Record<string, string>> = {}) =>
  HttpFixture.json({ message, documentation_url: "https://docs.github.com/rest", status: String(status) }, status, {
    "x-github-media-type": "github.v3; format=json",
    ...headers
  })

/** GitHub's secondary rate limit body; it comes as a 403 with `retry-after`. */
export const secondaryRateLimitBody = JSON.stringify({
  documentation_url:
    "https://docs.github.com/free-pro-team@latest/rest/overview/rate-limits-for-the-rest-api#about-secondary-rate-limits",
  message: "You have exceeded a secondary rate limit. Please wait a few minutes before you try again."
})

/** The fragment GitHub shows around the first match: the line it is on, with its neighbours. */
const textMatch = (file: CodeFile, term: string, apiOrigin: string) => {
  const lower = file.content.toLowerCase()
  const at = lower.indexOf(term)
  const start = Math.max(0, lower.lastIndexOf("\n", Math.max(0, at - 80)) + 1)
  const endLine = lower.indexOf("\n", at + term.length + 80)
  const fragment = file.content.slice(start, endLine < 0 ? undefined : endLine)
  const matches: Array<{ text: string; indices: [number, number] }> = []
  for (let index = fragment.toLowerCase().indexOf(term); index >= 0;) {
    matches.push({ text: fragment.slice(index, index + term.length), indices: [index, index + term.length] })
    index = fragment.toLowerCase().indexOf(term, index + term.length)
  }
  return {
    object_url: `${apiOrigin}/repositories/1/contents/${file.path}?ref=${file.sha}`,
    object_type: "FileContent",
    property: "content",
    fragment,
    matches
  }
}

/** Starts the server on 127.0.0.1 with an ephemeral port; closing the Scope stops it. */
export const make = (
  files: ReadonlyArray<CodeFile>,
  options: GithubOptions
): Effect.Effect<HttpFixture.HttpFixture, never, Scope.Scope> => {
  let searches = 0
  return HttpFixture.make("https://api.github.com", (request) => {
    if (request.url.pathname !== "/search/code") return problem(404, "Not Found")
    const authorization = request.headers.authorization
    if (authorization === undefined) return problem(401, "Requires authentication")
    if (authorization !== `Bearer ${options.token}` && authorization !== `token ${options.token}`) {
      return problem(401, "Bad credentials")
    }
    searches++
    const quota = options.searchQuota
    const remaining = quota === undefined ? 9 : Math.max(0, quota.limit - searches)
    const limits = {
      "x-ratelimit-limit": String(quota?.limit ?? 10),
      "x-ratelimit-remaining": String(remaining),
      "x-ratelimit-reset": String(quota?.resetAt ?? 1748736060),
      "x-ratelimit-resource": "code_search"
    }
    if (quota !== undefined && searches > quota.limit) {
      return problem(403, "API rate limit exceeded for user ID 583231.", limits)
    }
    const params = request.url.searchParams
    const q = (params.get("q") ?? "").trim()
    if (q === "") return problem(422, "Validation Failed")
    const term = q.replace(/^"(.*)"$/, "$1").toLowerCase()
    const perPage = Math.min(Number(params.get("per_page") ?? "30"), 100)
    const page = Number(params.get("page") ?? "1")
    const matching = files.filter((file) => file.content.toLowerCase().includes(term))
    const items = matching.slice((page - 1) * perPage, page * perPage)
    const origin = `http://${request.headers.host ?? "127.0.0.1"}`
    const textMatches = (request.headers.accept ?? "").includes("application/vnd.github.text-match+json")
    const last = Math.max(1, Math.ceil(matching.length / perPage))
    const link = (n: number, rel: string) =>
      `<${origin}/search/code?q=${encodeURIComponent(q)}&per_page=${perPage}&page=${n}>; rel="${rel}"`
    const links = [...(page < last ? [link(page + 1, "next"), link(last, "last")] : [])]
    return HttpFixture.json(
      {
        total_count: matching.length,
        incomplete_results: false,
        items: items.map((file) => ({
          name: file.path.split("/").pop(),
          path: file.path,
          sha: file.sha,
          url: `${origin}/repositories/1/contents/${file.path}?ref=${file.sha}`,
          git_url: `${origin}/repositories/1/git/blobs/${file.sha}`,
          html_url: `https://github.com/${file.repository}/blob/${file.sha}/${file.path}`,
          repository: {
            id: 1,
            name: file.repository.split("/")[1],
            full_name: file.repository,
            private: false,
            html_url: `https://github.com/${file.repository}`,
            owner: { login: file.repository.split("/")[0], type: "Organization" }
          },
          score: 1,
          ...(textMatches ? { text_matches: [textMatch(file, term, origin)] } : {})
        }))
      },
      200,
      { ...limits, ...(links.length === 0 ? {} : { link: links.join(", ") }) }
    )
  })
}
