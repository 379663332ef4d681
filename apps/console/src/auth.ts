// The operator key lives in sessionStorage: gone with the tab, never written to disk by us.
const STORAGE_KEY = 'dbaas.console.operatorKey';

export function loadKey(): string | null {
  try {
    return window.sessionStorage.getItem(STORAGE_KEY);
  } catch {
    return null;
  }
}

export function saveKey(key: string | null): void {
  try {
    if (key) window.sessionStorage.setItem(STORAGE_KEY, key);
    else window.sessionStorage.removeItem(STORAGE_KEY);
  } catch {
    // Storage disabled: the key then lasts as long as the page.
  }
}

/** What the operator reads for a refused key (sign-in, or a session the API stopped accepting). */
export function refusalMessage(status: number): string {
  return status === 403 ? 'This is not an operator key' : 'Unknown key';
}
