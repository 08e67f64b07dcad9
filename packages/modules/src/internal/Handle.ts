/**
 * The account name a code or image host would give a target: a USERNAME as it is, an ORGANIZATION's
 * name run together in lower case ("Black Lantern Security" → "blacklanternsecurity"), which is a
 * guess, so what it finds is less certain.
 */
import type { Target } from "../kinds/Request.js"

export interface Handle {
  readonly name: string
  /** Whether the name was guessed from an organization's name rather than given. */
  readonly guessed: boolean
}

export const handleOf = (target: Target): Handle =>
  target.type === "ORGANIZATION"
    ? { name: target.value.toLowerCase().replace(/[^a-z0-9_-]+/g, ""), guessed: true }
    : { name: target.value, guessed: false }
