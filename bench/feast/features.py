"""Feature definitions of the Feast side of the serving benchmark (bench/serving.ts).

The same 4 product features as fstore's (libs/contracts/src/features.ts), on entity `product`
(join key `product_id`), read from the parquet file that prepare_repo.py writes beside this file.
"""

from datetime import timedelta
from pathlib import Path

from feast import Entity, FeatureView, Field, FileSource, ValueType
from feast.types import Float64, Int64

product = Entity(name="product", join_keys=["product_id"], value_type=ValueType.STRING)

product_source = FileSource(
    name="product_features_source",
    path=str(Path(__file__).resolve().parent / "data" / "product_features.parquet"),
    timestamp_field="event_timestamp",
)

product_features = FeatureView(
    name="product_features",
    entities=[product],
    # Long enough that the seeded values never expire during a benchmark.
    ttl=timedelta(days=3650),
    schema=[
        Field(name="avg_review", dtype=Float64),
        Field(name="avg_review_rating", dtype=Float64),
        # A decimal (money) in fstore; Feast has no decimal type.
        Field(name="revenue_by_product", dtype=Float64),
        Field(name="units_sold", dtype=Int64),
    ],
    online=True,
    source=product_source,
)
