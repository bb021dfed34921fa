/**
 * Every Exchange cmdlet the local tenant serves through InvokeCommand. The server core looks
 * cmdlets up here by name (case-insensitively), checks the app's Exchange roles against
 * `roles`, and pages, warns and maps errors; each module below only reads and changes state.
 */
import type { Cmdlet } from "../contracts";
import { cmdlets as dkim } from "./dkim";
import { cmdlets as inboxRules } from "./inbox-rules";
import { cmdlets as mailbox } from "./mailbox";
import { cmdlets as permissions } from "./permissions";
import { cmdlets as settings } from "./settings";
import { cmdlets as transportRules } from "./transport-rules";

export const allCmdlets: Cmdlet[] = [
    ...mailbox,
    ...inboxRules,
    ...permissions,
    ...settings,
    ...transportRules,
    ...dkim,
];
