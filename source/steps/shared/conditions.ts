/** Conditions on the profile's networking option: option 1 (provider networks) and option 2 (self-service). */
export const PROVIDER = { networking: 'provider' } as const;
export const SELFSERVICE = { networking: 'selfservice' } as const;
