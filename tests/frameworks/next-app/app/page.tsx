import Upscaler from './upscaler';

export default function Page() {
  return (
    <main>
      <h1>Upscale</h1>
      <Upscaler />
    </main>
  );
}
