export function NotFound({ known }: { known: readonly string[] }) {
  return (
    <section data-testid="page-not-found">
      <h1>Page not found</h1>
      <p>
        This address is not a page of the console. Try{' '}
        {known.map((k, i) => (
          <span key={k}>
            {i > 0 && ', '}
            <a href={`#/${k}`}>{k}</a>
          </span>
        ))}
        .
      </p>
    </section>
  );
}
