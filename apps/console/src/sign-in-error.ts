/** What the sign-in page needs of a refused sign-in (the client's ApiError carries it). */
export interface SignInRefusal {
  errorMessage: string;
  errorDetail: { loc: (string | number)[]; msg: string }[] | null;
}

/**
 * A refused sign-in as the page shows it: the API's message, then each detail it does not
 * already say (a 401's detail repeats its reason), and the form fields the detail names (the
 * last part of a `["body", field]` location), which the page marks invalid.
 */
export function describeSignInRefusal(refusal: SignInRefusal): { text: string; fields: string[] } {
  const detail = refusal.errorDetail ?? [];
  const fields = [
    ...new Set(
      detail
        .filter((d) => d.loc[0] === 'body' && typeof d.loc[1] === 'string')
        .map((d) => String(d.loc[1])),
    ),
  ];
  const extra = detail
    .filter((d) => !refusal.errorMessage.includes(d.msg))
    .map((d) => `${d.loc.slice(1).join('.')}: ${d.msg}`);
  const text = extra.length
    ? `${refusal.errorMessage} (${extra.join('; ')})`
    : refusal.errorMessage;
  return { text, fields };
}
