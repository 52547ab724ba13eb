/**
 * Roles, from most to least powerful. `reader` may only read features (the serving role);
 * `viewer` reads the control plane; `operator` runs jobs; `admin` also manages users and keys.
 */
export const ROLES = ['admin', 'operator', 'viewer', 'reader'] as const;
export type Role = (typeof ROLES)[number];

const GRANTS: Record<Role, readonly Role[]> = {
  admin: ['admin', 'operator', 'viewer', 'reader'],
  operator: ['operator', 'viewer', 'reader'],
  viewer: ['viewer', 'reader'],
  reader: ['reader'],
};

/** Whether a principal with `role` may do what needs any of `required`. */
export function roleAllows(role: Role, required: readonly Role[]): boolean {
  return required.some((r) => GRANTS[role].includes(r));
}

export function isRole(value: string): value is Role {
  return (ROLES as readonly string[]).includes(value);
}
