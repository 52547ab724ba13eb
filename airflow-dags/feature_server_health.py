"""Checks that the feature server answers behind its load balancer.

Calls `GET /api/health-check` on the `fstore_serving` HTTP connection (the local stack sets
AIRFLOW_CONN_FSTORE_SERVING to the nginx load balancer, FSTORE_SERVING_LB_PORT) and fails unless
the answer is `{"status": "healthy"}`. Runs every 15 minutes; a failed run is the alert.
"""

from datetime import datetime, timedelta

from airflow.sdk import dag, task

CONNECTION = "fstore_serving"


@dag(
    schedule=timedelta(minutes=15),
    start_date=datetime(2024, 1, 1),
    catchup=False,
    max_active_runs=1,
    tags=["fstore", "health"],
    default_args={"retries": 2, "retry_delay": timedelta(seconds=30)},
    doc_md=__doc__,
)
def feature_server_health():
    @task(execution_timeout=timedelta(seconds=30))
    def health_check() -> dict:
        from airflow.providers.http.hooks.http import HttpHook

        hook = HttpHook(method="GET", http_conn_id=CONNECTION)
        response = hook.run("/api/health-check", extra_options={"timeout": 10})
        body = response.json()
        if body.get("status") != "healthy":
            raise RuntimeError(f"feature server is not healthy: {body}")
        print(f"feature server healthy: {body}")
        return body

    health_check()


feature_server_health()
