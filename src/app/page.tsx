export default function Home() {
  return (
    <main style={{ maxWidth: 640, margin: '3rem auto', padding: '0 1rem' }}>
      <h1>Chat Response Service</h1>
      <p>The service is running. Messages are stored in the database and can be sent with <code>npm run chat:send</code>.</p>
    </main>
  );
}
