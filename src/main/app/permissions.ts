import type { Session } from 'electron';

/** The renderer needs no camera, microphone, notifications or any other permission: deny them all. */
export function denyAllPermissions(session: Session): void {
  session.setPermissionRequestHandler((_contents, _permission, callback) => callback(false));
  session.setPermissionCheckHandler(() => false);
}
