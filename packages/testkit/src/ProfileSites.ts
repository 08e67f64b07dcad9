/**
 * One HTTP server standing in for the sites a username is looked up on (GitHub's and GitLab's
 * user APIs, Reddit's profiles…), each told apart by the `Host` it is asked for, as a reverse proxy
 * would be. It answers each site's lookup as the site does: the account's record for the names it
 * knows there, and the site's own "no such user" answer for any other name or site.
 */
import type { Effect, Scope } from "effect"
import * as HttpFixture from "./HttpFixture.js"

export type ProfileSites = HttpFixture.HttpFixture

/** The accounts each site has, by host. */
export interface Accounts {
  readonly github: ReadonlyArray<string>
  readonly gitlab: ReadonlyArray<string>
  readonly reddit: ReadonlyArray<string>
}

/** Starts the sites on 127.0.0.1 with an ephemeral port; closing the Scope stops it. */
export const make = (accounts: Accounts): Effect.Effect<ProfileSites, never, Scope.Scope> =>
  HttpFixture.make("https://profiles.invalid", (request) => {
    const host = (request.headers.host ?? "").toLowerCase()
    const path = request.url.pathname
    if (host === "api.github.com" && path.startsWith("/users/")) {
      const name = decodeURIComponent(path.slice("/users/".length))
      return accounts.github.includes(name)
        ? HttpFixture.json({ login: name, id: 4242, type: "User" })
        // GitHub pretty-prints its JSON.
        : HttpFixture.text(`{\n  "message": "Not Found",\n  "status": "404"\n}`, 404, "application/json")
    }
    if (host === "gitlab.com" && path === "/api/v4/users") {
      const name = request.url.searchParams.get("username") ?? ""
      return HttpFixture.json(accounts.gitlab.includes(name) ? [{ id: 77, username: name, state: "active" }] : [])
    }
    const reddit = /^\/user\/([^/]+)\/about\.json$/.exec(path)
    if (host === "www.reddit.com" && reddit !== null) {
      const name = decodeURIComponent(reddit[1]!)
      return accounts.reddit.includes(name)
        ? HttpFixture.json({ kind: "t2", data: { id: "1a2b3c", name } })
        : HttpFixture.json({ message: "Not Found", error: 404 }, 404)
    }
    return HttpFixture.text("Not Found", 404)
  })
