"""6200.trip-booking: a saga (hotel → rental → flight → confirm) whose failures are compensated
by cancel_flight → cancel_rental → cancel_hotel.

Upstream keeps three NoSQL tables (``flights``, ``car_rentals``, ``hotel_booking``, keyed by
trip id and booking id). Ours keeps each row as a JSON object in the object store at
``nosql/<table>/<trip_id>/<id>.json`` in the benchmark bucket: the same keys, operations and
outcome, through the storage every runtime of ours provides.
"""
