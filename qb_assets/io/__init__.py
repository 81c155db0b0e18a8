"""Every byte in or out of storage: the Parquet lake and the tracking sources (a local folder or an S3
prefix). Imports no other ``qb_assets`` package."""
