import { type RouteConfig, index, route } from '@react-router/dev/routes';

export default [
  index('routes/home.tsx'),
  route('api/dreamina/*', 'routes/api.dreamina.$.ts'),
] satisfies RouteConfig;
