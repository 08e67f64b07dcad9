/** The monitoring settings: correlation rules. */
import * as Setting from "../platform/Setting.js"

export const correlation = Setting.boolean("monitoring", "MIRAGE_CORRELATION", {
  default: true,
  description: "Evaluate correlation rules on each scan's results as they arrive (CORRELATION results)"
})
export const correlationRules = Setting.optional("monitoring", "MIRAGE_CORRELATION_RULES", {
  description: "A folder of the organization's own correlation rules (SpiderFoot-format YAML), added to the built-in " +
    "ones; a rule with a built-in rule's id replaces it. A malformed file stops the node with its line and reason"
})
