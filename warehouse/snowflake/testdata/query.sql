-- conn 1 query
SELECT name FROM customers;
