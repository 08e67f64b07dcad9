/** What the threat and reputation sources say: URLhaus, EmailRep, OTX pulses. */
import type * as ContactSources from "../ContactSources.js"
import type * as KeyedSources from "../KeyedSources.js"
import type * as OtxServer from "../OtxServer.js"

/** What URLhaus saw on the sandbox's forgotten host (and on another company's). */
export const malwareUrls: ReadonlyArray<KeyedSources.MalwareUrl> = [
  {
    host: "legacy.mirage-sandbox.test",
    url: "http://legacy.mirage-sandbox.test/old.php?id=1",
    status: "offline",
    threat: "malware_download",
    tags: ["exe"]
  },
  {
    host: "payments.example",
    url: "http://payments.example/update.bin",
    status: "online",
    threat: "malware_download",
    tags: []
  }
]

/** What EmailRep says of the sandbox's addresses (and of someone's free-mail one). */
export const reputations: ReadonlyArray<ContactSources.Reputation> = [
  {
    email: "hostmaster@mirage-sandbox.test",
    reputation: "medium",
    credentialsLeaked: true,
    profiles: ["github", "gravatar"],
    freeProvider: false
  },
  { email: "someone@freemail.example", reputation: "low", credentialsLeaked: false, profiles: [], freeProvider: true }
]

/** The OTX threat reports listing the sandbox's forgotten host, and an unrelated address. */
export const pulses: ReadonlyArray<OtxServer.Pulse> = [
  {
    id: "6601a2b3c4d5e6f708192a3b",
    name: "Malware hosted on compromised PHP sites",
    indicator: "legacy.mirage-sandbox.test",
    tags: ["php", "dropper"],
    malware: ["Emotet"]
  },
  { id: "6601a2b3c4d5e6f708192a3c", name: "Scanner", indicator: "198.18.0.7", tags: ["scanner"], malware: [] }
]
