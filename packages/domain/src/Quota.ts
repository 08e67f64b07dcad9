/**
 * Starting the scans an organization's quota lets through. Whichever path finds a scan due (a release of another
 * scan's slot, another scan's admission, the reconciler of lost starts), it sends the same command under an id derived
 * from the scan alone, so the scan's actor applies it once however many paths send it.
 */
import { deriveUuid } from "./Ids.js"
import type { ScanId } from "./Ids.js"
import type { StartScan } from "./ScanEvent.js"

/** A StartScan to send to a scan, without waiting for its answer. */
export interface Start {
  readonly target: ScanId
  readonly command_id: string
  readonly command: typeof StartScan.Type
}

/** The start of a scan for `reason`: the same reason for the same scan gives the same command id. */
export const startOf = (scanId: ScanId, reason: string): Start => ({
  target: scanId,
  command_id: deriveUuid(reason, scanId, "start"),
  command: { _tag: "StartScan" }
})

/** The starts of the scans the quota has just admitted from its queue, in the order they were admitted. */
export const dueStarts = (due: ReadonlyArray<ScanId>): ReadonlyArray<Start> => due.map((id) => startOf(id, "quota"))
