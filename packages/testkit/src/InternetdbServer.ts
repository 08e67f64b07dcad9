/**
 * An HTTP server that answers like Shodan's keyless InternetDB (`/{ip}`): open ports, CPEs,
 * hostnames, tags and vulns of an address, `{"detail": "No information available"}` with 404
 * for an address it has not seen, and `{"detail": "Invalid IP address"}` with 400.
 */
import type { Effect, Scope } from "effect"
import * as HttpFixture from "./HttpFixture.js"
import { parseAddress } from "./RdapServer.js"

export interface HostRecord {
  readonly ip: string
  readonly ports: ReadonlyArray<number>
  readonly cpes: ReadonlyArray<string>
  readonly hostnames: ReadonlyArray<string>
  readonly tags: ReadonlyArray<string>
  readonly vulns: ReadonlyArray<string>
}

/** Starts the server on 127.0.0.1 with an ephemeral port; closing the Scope stops it. */
export const make = (records: ReadonlyArray<HostRecord>): Effect.Effect<HttpFixture.HttpFixture, never, Scope.Scope> =>
  HttpFixture.make("https://internetdb.shodan.io", (request) => {
    const ip = decodeURIComponent(request.url.pathname.slice(1))
    if (parseAddress(ip) === undefined) return HttpFixture.json({ detail: "Invalid IP address" }, 400)
    const record = records.find((candidate) => candidate.ip === ip)
    if (record === undefined) return HttpFixture.json({ detail: "No information available" }, 404)
    return HttpFixture.json({
      cpes: record.cpes,
      hostnames: record.hostnames,
      ip: record.ip,
      ports: record.ports,
      tags: record.tags,
      vulns: record.vulns
    })
  })
