// The demo's job, shared by scripts/demo.js and the integration test: Seattle's
// weather (vega-datasets, one row a day) summed up per month by the SQL example.

export const DEMO_IMAGE = 'stevedore-examples/sql-transform:latest';

/** The input table, relative to the repository's root. */
export const DEMO_INPUT = 'node_modules/vega-datasets/data/seattle-weather.csv';

/** The kinds of weather the data set has, one count column each. */
export const WEATHER_KINDS = ['drizzle', 'rain', 'sun', 'snow', 'fog'];

const counts = WEATHER_KINDS.map((kind) => `sum(weather = '${kind}') AS ${kind}`);

/** The component's config.json. Input columns are TEXT, hence the casts. */
export const demoConfig = {
  parameters: {
    queries: [
      `CREATE TABLE monthly AS
        SELECT substr(date, 1, 7) AS month,
          round(avg(CAST(temp_max AS REAL)), 2) AS avg_temp_max,
          round(sum(CAST(precipitation AS REAL)), 2) AS precipitation,
          ${counts.join(',\n          ')}
        FROM weather
        GROUP BY month
        ORDER BY month`,
    ],
    output_tables: ['monthly'],
  },
};

/**
 * The arguments of `stevedore` that run the demo's image on the weather table.
 * @param {{ repo: string, config: object, output: string }} options
 * @returns {string[]}
 */
export function demoRunArgs({ repo, config, output }) {
  return [
    'run',
    DEMO_IMAGE,
    '--input-table',
    `weather=${repo}/${DEMO_INPUT}`,
    '--config',
    JSON.stringify(config),
    '--output',
    output,
    '--json',
  ];
}
