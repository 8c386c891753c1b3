/**
 * Package installs shared by the runbooks.
 */

/**
 * How long the first package install on a node waits for the package manager's lock (packages `lockTimeoutSec`):
 * on a freshly booted node unattended-upgrades (Debian) or yum-cron (CentOS) often holds it for a few minutes.
 * The steps that use it allow for this wait in their timeoutSec.
 */
export const FIRST_INSTALL_LOCK_TIMEOUT_SEC = 600;
